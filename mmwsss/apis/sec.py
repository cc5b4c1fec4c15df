"""SEC (Kolesnikov & Lampert, ECCV 2016) as resumable stages: localization
cues from CAM files, the segmentation network trained on them with the seed,
expand and constrain losses, its labels of a split and their evaluation.

    cues → training → labels → evaluation
"""
import json
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from mmwsss.datasets import build_split_dataset
from mmwsss.pseudo_labels import generate_pseudo_labels
from mmwsss.utils import remove_stale_tmp_files, save_json, save_palette_png
from mmwsss.visualization import render_label_grid
from .config import load_config
from .data_roots import (check_data_root, num_foreground_classes,
                         pseudo_label_train_set, split_ids)
from .model import init_model
from .stages import (StageRecord, evaluate_label_stage, run_stage,
                     train_and_test)


def make_sec_labels(config: str,
                    checkpoint: str,
                    out_dir: str,
                    split: str = 'train',
                    data_root: Optional[str] = None,
                    device: Optional[str] = None) -> int:
    """Write SEC's predictions for the images of ``split`` as palette PNGs
    ``<out_dir>/<id>.png`` at the original image size, with the model's
    test settings (``test_cfg``: SEC's test-time CRF and whether the argmax
    keeps to the image's classes). Existing labels are kept.

    Args:
        config (str): The trained SEC config.
        checkpoint (str): Its checkpoint.
        out_dir (str): Output folder.
        split (str): Split whose images are labelled.
        data_root (str, optional): Overrides the config's data root.
        device (str, optional): Inference device.

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
    os.makedirs(out_dir, exist_ok=True)
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


def cam_classifier_checkpoint(cam_dir: str) -> str:
    """The checkpoint of the classifier whose CAM files ``cam_dir`` holds,
    from the ``summary.json`` that :func:`~mmwsss.apis.run_seed_pipeline`
    writes beside its ``cams`` folder."""
    path = osp.join(osp.dirname(osp.abspath(cam_dir)), 'summary.json')
    summary = {}
    if osp.isfile(path):
        with open(path) as f:
            summary = json.load(f)
    same_cams = summary.get('cam_dir') and osp.abspath(
        summary['cam_dir']) == osp.abspath(cam_dir)
    checkpoint = summary.get('checkpoint')
    if not (same_cams and checkpoint and osp.isfile(checkpoint)):
        raise FileNotFoundError(
            f'{path}: no summary of the classifier that wrote {cam_dir} '
            'naming its checkpoint; pass load_from, or set '
            'init_from_cam_classifier=False in the config')
    return checkpoint


def run_sec_seeds(data_root: str,
                  work_dir: str,
                  config: str,
                  cam_dir: str,
                  cam_split: str = 'train',
                  seed_split: str = 'train',
                  cfg_options: Optional[dict] = None,
                  device: Optional[str] = None,
                  num_workers: int = 2,
                  load_from: Optional[str] = None) -> dict:
    """SEC's seeds: localization cues of ``cam_split`` from the CAM files
    of ``cam_dir`` (``sec_cue_cfg`` of the config, passed to
    :func:`~mmwsss.pseudo_labels.generate_pseudo_labels`), the SEC
    segmentation network trained on them (``<work_dir>/segmentor``), its
    labels of ``seed_split`` (``<work_dir>/labels``) and their mIoU. Each
    stage is recorded in ``<work_dir>/stages.json`` and skipped on a rerun.

    Args:
        data_root (str): Dataset in VOC layout (``classes.txt`` optional)
            or COCO layout (see :func:`~mmwsss.datasets.dataset_type_of`).
        work_dir (str): Where the stages write.
        config (str): SEC config with a top-level ``sec_cue_cfg``.
        cam_dir (str): CAM files of ``cam_split`` (``<id>.npy``).
        cam_split (str): Split the network trains on.
        seed_split (str): Split that is labelled and evaluated (needs
            masks).
        cfg_options (dict, optional): Overrides for the config.
        device (str, optional): Device of the label inference.
        num_workers (int): Processes writing the cues.
        load_from (str, optional): Checkpoint the network starts from.
            Default: the config's ``load_from``, or, when the config sets
            ``init_from_cam_classifier`` (the demo: no ImageNet weights
            offline), the checkpoint of the CAM classifier that wrote
            ``cam_dir`` (see :func:`cam_classifier_checkpoint`).

    Returns:
        dict: The summary, also written to ``<work_dir>/summary.json``:
        ``seed_miou`` (the labels' mIoU on ``seed_split``), ``cue_miou``
        and ``cue_ignored_fraction`` (the cues', where ``seed_split`` is
        part of ``cam_split``), ``val_miou`` (the network's on the config's
        test split), ``seconds_per_iter``, ``checkpoint``, ``label_dir``,
        ``stage_seconds``; ``seed_threshold``, ``background_miou`` and
        ``classifier_map`` are None (no threshold, no classifier).
    """
    check_data_root(data_root, sorted({cam_split, seed_split}))
    num_classes = num_foreground_classes(data_root, cam_split)
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir)
    options = {'model.decode_head.num_classes': num_classes + 1}
    options.update(cfg_options or {})
    cfg = load_config(config, options, data_root=data_root)
    if cfg.get('sec_cue_cfg') is None:
        raise KeyError(f'{config}: an SEC config needs a top-level '
                       'sec_cue_cfg (the settings of its localization cues)')
    cue_cfg = dict(cfg.sec_cue_cfg)

    cue_dir = osp.join(work_dir, 'cues')
    run_stage(
        record, 'cues', lambda: dict(
            label_dir=cue_dir,
            settings=cue_cfg,
            written=generate_pseudo_labels(
                cam_dir,
                data_root,
                cam_split,
                cue_dir,
                num_classes=num_classes,
                num_workers=num_workers,
                progress=False,
                **cue_cfg)))
    cue_eval = None
    seed_ids = set(split_ids(data_root, seed_split))
    if seed_ids <= set(split_ids(data_root, cam_split)):
        cue_eval = evaluate_label_stage(
            record, 'cue_eval', cue_dir, data_root, seed_split,
            osp.join(work_dir, f'cue_eval_{seed_split}.json'))

    def train():
        if load_from is not None:
            cfg.load_from = load_from
        elif not cfg.get('load_from') and cfg.get('init_from_cam_classifier'):
            cfg.load_from = cam_classifier_checkpoint(cam_dir)
        cfg.train_dataloader.dataset = pseudo_label_train_set(
            cfg.train_dataloader.dataset, data_root, cam_split, cue_dir)
        train_dir = osp.join(work_dir, 'segmentor')
        os.makedirs(train_dir, exist_ok=True)
        config_path = osp.join(train_dir, 'sec_config.py')
        cfg.dump(config_path)
        checkpoint, metrics, seconds_per_iter = train_and_test(cfg, train_dir)
        return dict(
            config=config_path,
            load_from=cfg.get('load_from'),
            checkpoint=checkpoint,
            metrics=metrics,
            seconds_per_iter=seconds_per_iter)

    trained = run_stage(record, 'train', train)
    label_dir = osp.join(work_dir, 'labels')
    run_stage(
        record, 'labels', lambda: dict(
            label_dir=label_dir,
            written=make_sec_labels(
                trained['config'],
                trained['checkpoint'],
                label_dir,
                split=seed_split,
                data_root=data_root,
                device=device)))
    labels = evaluate_label_stage(
        record, 'label_eval', label_dir, data_root, seed_split,
        osp.join(work_dir, f'label_eval_{seed_split}.json'))

    figure = osp.join(work_dir, 'figures', 'labels.png')
    if not osp.isfile(figure):
        ids = split_ids(data_root, seed_split)[:4]
        render_label_grid(data_root, label_dir, ids, figure, title='SEC',
                          split=seed_split)

    summary = dict(
        data_root=osp.abspath(data_root),
        config=config,
        cam_dir=osp.abspath(cam_dir),
        cue_dir=osp.abspath(cue_dir),
        cue_settings=cue_cfg,
        cue_miou=cue_eval['miou'] if cue_eval else None,
        cue_ignored_fraction=cue_eval['ignored_fraction']
        if cue_eval else None,
        seed_split=seed_split,
        seed_miou=labels['miou'],
        seed_threshold=None,
        background_miou=None,
        classifier_map=None,
        val_miou=trained['metrics'].get('mIoU'),
        load_from=trained.get('load_from'),
        seconds_per_iter=trained['seconds_per_iter'],
        checkpoint=trained['checkpoint'],
        label_dir=osp.abspath(label_dir),
        stage_seconds=record.seconds())
    save_json(summary, osp.join(work_dir, 'summary.json'))
    return summary
