"""The labels of a trained SEC network (Kolesnikov & Lampert, ECCV 2016)."""
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from mmwsss.datasets import build_split_dataset
from mmwsss.utils import (prepare_output_dir, remove_stale_tmp_files,
                          save_palette_png)
from .model import init_model, model_source


def make_sec_labels(config: str,
                    checkpoint: str,
                    out_dir: str,
                    split: str = 'train',
                    data_root: Optional[str] = None,
                    device: Optional[str] = None,
                    overwrite: bool = False) -> int:
    """Write SEC's predictions for the images of ``split`` as palette PNGs
    ``<out_dir>/<id>.png`` at the original image size, with the model's
    test settings (``test_cfg``: SEC's test-time CRF and whether the argmax
    keeps to the image's classes). Existing labels are kept when the
    folder's manifest records the same model, checkpoint and split; a
    folder made under others is refused unless ``overwrite``.

    Args:
        config (str): The trained SEC config.
        checkpoint (str): Its checkpoint.
        out_dir (str): Output folder.
        split (str): Split whose images are labelled.
        data_root (str, optional): Overrides the config's data root.
        device (str, optional): Inference device.
        overwrite (bool): Start over a folder made under other settings.

    Returns:
        int: Labels written by this call.
    """
    model, cfg = init_model(config, checkpoint, device, data_root=data_root)
    # Labels need no masks: drop the loading of annotations.
    pipeline = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadAnnotations'
    ]
    dataset = build_split_dataset(cfg, split, data_root, pipeline=pipeline)
    prepare_output_dir(
        out_dir,
        dict(
            model_source(cfg, checkpoint, dataset.data_root), split=split),
        'SEC labels',
        overwrite=overwrite)
    remove_stale_tmp_files(out_dir)
    written = 0
    for index in range(len(dataset)):
        img_id = dataset.get_data_info(index)['img_id']
        path = osp.join(out_dir, img_id + '.png')
        if osp.isfile(path):
            continue
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[index]]))[0]
        label = sample.pred_sem_seg.data[0].cpu().numpy()
        save_palette_png(label.astype(np.uint8), path)
        written += 1
    return written
