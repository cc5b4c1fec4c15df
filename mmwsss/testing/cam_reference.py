"""CAM generation the literal way: image by image, one forward pass per
scale and per flip."""
import os.path as osp
from typing import List, Sequence

import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from torch import Tensor

from mmwsss.cams import save_cam_file
from mmwsss.cams.generate import preprocess_groups
from mmwsss.models.utils.cam_inference import (multi_scale_cams,
                                               normalize_cams, rescale_images)


def naive_cams(model: torch.nn.Module, dataset: BaseDataset, out_dir: str,
               scales: Sequence[float], flip: bool) -> None:
    """Write CAM files the way the reference scripts write them: image by
    image, one forward pass per scale and per flip, in the main process.

    The files have the layout of the files that
    :func:`mmwsss.cams.generate.generate_cams` writes, so that the two
    folders compare file by file.

    Args:
        model (torch.nn.Module): A CAM classifier (``forward_cam``,
            ``data_preprocessor`` and ``test_cfg['output_stride']``).
        dataset (BaseDataset): The images, with their image-level labels.
        out_dir (str): An existing folder; one ``<img_id>.npy`` per image
            is written to it.
        scales (Sequence[float]): The test scales.
        flip (bool): Whether to add the horizontal flip at every scale.
    """
    for index in range(len(dataset)):
        data = model.data_preprocessor(pseudo_collate([dataset[index]]),
                                       False)
        image, sample = data['inputs'], data['data_samples'][0]
        total = 0
        for scale in scales:
            for flipped in ((False, True) if flip else (False, )):
                x = image.flip(-1) if flipped else image
                cams = multi_scale_cams(
                    model.forward_cam, x, scales=(scale, ), flip=False,
                    output_stride=model.test_cfg['output_stride'])
                total = total + (cams.flip(-1) if flipped else cams)
        keys = torch.nonzero(sample.gt_img_labels > 0).flatten()
        save_cam_file(
            osp.join(out_dir, sample.metainfo['img_id'] + '.npy'),
            keys.cpu().numpy(),
            normalize_cams(total[0, keys]).cpu().numpy())


def bare_forward_inputs(model: torch.nn.Module, dataset: BaseDataset,
                        scales: Sequence[float], flip: bool,
                        batch_size: int) -> List[Tensor]:
    """The backbone inputs that :func:`mmwsss.cams.generate.generate_cams`
    builds, for timing the backbone alone on them.

    Args:
        model (torch.nn.Module): The CAM classifier.
        dataset (BaseDataset): The images.
        scales (Sequence[float]): The test scales.
        flip (bool): Whether each input also holds the flipped images.
        batch_size (int): Images per batch, before grouping by size.

    Returns:
        list[Tensor]: Per batch of same-size images and per scale, the
        rescaled images (and their flips after them) in one tensor.
    """
    inputs = []
    for start in range(0, len(dataset), batch_size):
        batch = pseudo_collate([
            dataset[i]
            for i in range(start, min(start + batch_size, len(dataset)))
        ])
        for images, _ in preprocess_groups(model, batch):
            for scale in scales:
                x = rescale_images(images, scale)
                inputs.append(torch.cat([x, x.flip(-1)]) if flip else x)
    return inputs
