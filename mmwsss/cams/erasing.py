"""Iterative adversarial erasing: mining, erasing and merging regions.

From "Object Region Mining with Adversarial Erasing: A Simple
Classification to Semantic Segmentation Approach" (Wei et al., CVPR 2017),
whose code was not released; the procedure is transcribed from the paper.
At step t a classifier is trained on the training images I_t, CAM gives the
heatmap of each labelled class, the pixels above a hard threshold are the
mined regions F_t, and I_{t+1} is I_t with F_t set to the mean pixel. The
regions mined by all steps together form the object regions.

The pipeline (:class:`~mmwsss.pipeline.stages.AdversarialErasing`)
writes each round under ``<folder>/round_<t>``::

    classifier/   trained on the images erased by rounds < t
    cams/         its CAM files of ``cam_split``, on the same erased images
    mined/        <id>.png: the regions mined by rounds <= t (0/1), which
                  round t + 1 erases
    merged_cams/  seed-split CAMs merged over rounds <= t (1 < t < R), to
                  evaluate the merge so far

and ``<work_dir>/cams`` holds the merge of all rounds in the CAM file
contract. A class's merged map is the maximum over rounds of that round's
normalised map: at any threshold its region is the union of the rounds'
regions (the paper's merge at its threshold), and the background threshold
can still be swept over it.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from mmwsss.utils.progress import ProgressBar
from mmwsss.datasets import WSSSCOCODataset, dataset_type_of
from mmwsss.datasets.image_labels import read_split_ids
from mmwsss.utils import (load_label_png, remove_stale_tmp_files,
                          save_palette_png)
from mmwsss.utils.errors import InputValueError
from .cam_file import load_cam_file, save_cam_file, strided_cams


#: The paper's settings: three erasing steps (a fourth lowered its
#: results), and a pixel is mined when its heatmap value is within the top
#: 20% of the map's largest value.
PAPER_SETTINGS = dict(rounds=3, threshold=0.8)


def erasing_settings(cfg: Config) -> Tuple[int, float]:
    """``(rounds, threshold)`` of the config's top-level
    ``adversarial_erasing_cfg``; the paper's where a key is absent."""
    settings = dict(PAPER_SETTINGS)
    settings.update(cfg.get('adversarial_erasing_cfg', None) or {})
    rounds, threshold = settings['rounds'], float(settings['threshold'])
    if not isinstance(rounds, int) or rounds < 1:
        raise InputValueError(
            f'adversarial_erasing_cfg.rounds must be a positive '
            f'integer, got {rounds!r}')
    if not 0.0 <= threshold < 1.0:
        raise InputValueError(
            f'adversarial_erasing_cfg.threshold applies to CAMs '
            f'normalised to [0, 1]; got {threshold}')
    return rounds, threshold


def set_erase_dir(cfg: Config, erase_dir: Optional[str]) -> dict:
    """Point the ``EraseRegions`` step of the training pipeline at
    ``erase_dir`` (``None``: erase nothing), in place.

    Returns:
        dict: That pipeline step.
    """
    pipeline = cfg.train_dataloader.dataset.get('pipeline', None) or []
    steps = [t for t in pipeline if t.get('type') == 'EraseRegions']
    if len(steps) != 1:
        raise InputValueError(
            f'{cfg.filename}: adversarial erasing needs exactly one '
            f'EraseRegions step in train_dataloader.dataset.pipeline, found '
            f'{len(steps)}; see configs/demo/ae_r18_demo.py')
    steps[0]['erase_dir'] = erase_dir
    return steps[0]


def check_training_ids_covered(cfg: Config, data_root: str,
                               cam_split: str) -> None:
    """Raise unless ``cam_split`` holds every training image: regions are
    mined from its CAMs, and an image without a mask is never erased."""
    ann_file = cfg.train_dataloader.dataset.get('ann_file', '')
    path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
    if ann_file.endswith('.json'):
        # A COCO split is its instances JSON.
        expected = osp.join(data_root, WSSSCOCODataset.ann_file_of(cam_split))
        if osp.abspath(path) != osp.abspath(expected):
            raise InputValueError(
                f'the training images of {path} are not cam_split '
                f'{cam_split!r} ({expected}): regions of images outside it '
                'would never be mined or erased; use the training split as '
                'cam_split')
        return
    if not ann_file.endswith('.txt'):
        return
    cam_ids = dataset_type_of(data_root).split_ids(data_root, cam_split)
    missing = set(read_split_ids(path)) - set(cam_ids)
    if missing:
        raise InputValueError(
            f'{len(missing)} training image(s) of {path} are not in '
            f'cam_split {cam_split!r} (e.g. {sorted(missing)[0]}): their '
            'regions would never be mined or erased; use the training '
            'split as cam_split')


def mine_regions(high_res: np.ndarray, threshold: float) -> np.ndarray:
    """The regions a round mines in one image: pixels where the normalised
    CAM of any labelled class exceeds ``threshold``.

    Args:
        high_res (np.ndarray): ``[len(keys), H, W]`` maps in [0, 1].
        threshold (float): The hard threshold.

    Returns:
        np.ndarray: bool ``[H, W]``; all false for an image without maps.
    """
    return (np.asarray(high_res) > threshold).any(axis=0)


def merge_cams(cams: Sequence[Dict[str, np.ndarray]]) -> dict:
    """Merge one image's CAM files of several rounds: each class's map is
    the maximum of the rounds' normalised maps.

    Args:
        cams (Sequence[dict]): Loaded CAM files (``keys``, ``high_res``,
            optionally ``cam``) of the rounds, for the same image.

    Returns:
        dict: ``keys``, ``high_res`` and IRN's stride-4 ``cam``.
    """
    keys = cams[0]['keys']
    for cam in cams[1:]:
        if not np.array_equal(cam['keys'], keys):
            raise InputValueError(
                f'rounds disagree on the classes of an image: '
                f"{keys.tolist()} and {cam['keys'].tolist()}")
        if cam['high_res'].shape != cams[0]['high_res'].shape:
            raise InputValueError(
                f"rounds disagree on the CAM shape of an image: "
                f"{cams[0]['high_res'].shape} and "
                f"{cam['high_res'].shape}")
    return dict(
        keys=keys,
        high_res=np.maximum.reduce([c['high_res'] for c in cams]),
        cam=np.maximum.reduce([strided_cams(c) for c in cams]))


def write_merged_cams(cam_dirs: Sequence[str],
                      ids: Sequence[str],
                      out_dir: str,
                      progress: bool = True) -> int:
    """Write the merge (:func:`merge_cams`) of the rounds' CAM files of
    ``ids``; files already there are complete (atomic writes) and kept.

    Returns:
        int: Number of files written.
    """
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_tmp_files(out_dir)
    written = 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        path = osp.join(out_dir, img_id + '.npy')
        if not osp.exists(path):
            merged = merge_cams([
                load_cam_file(osp.join(d, img_id + '.npy')) for d in cam_dirs
            ])
            save_cam_file(path, **merged)
            written += 1
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    return written


def write_erase_masks(cam_dir: str,
                      ids: Sequence[str],
                      threshold: float,
                      out_dir: str,
                      previous_dir: Optional[str] = None,
                      truth_dir: Optional[str] = None,
                      progress: bool = True) -> dict:
    """Mine each image's regions from a round's CAM files and write their
    union with the earlier rounds' (``previous_dir``) as 0/1 PNGs.

    Args:
        cam_dir (str): The round's CAM files.
        ids (Sequence[str]): Images to mine.
        threshold (float): The hard threshold on normalised CAMs.
        out_dir (str): Where ``<id>.png`` is written (atomically).
        previous_dir (str, optional): The masks the round's images were
            erased with; an image without one had nothing erased.
        truth_dir (str, optional): Ground-truth masks; where an image has
            one, the erased pixels are counted as foreground or background.

    Returns:
        dict: ``erased_fraction`` (mean share of an image's pixels erased
        after this round), ``mined_fraction`` (the share newly mined by it)
        and ``erased_precision`` (% of erased pixels on ground-truth
        foreground; ``None`` without masks).
    """
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_tmp_files(out_dir)
    erased, mined_new, on_object, on_background = [], [], 0, 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        cam = load_cam_file(osp.join(cam_dir, img_id + '.npy'))
        mined = mine_regions(cam['high_res'], threshold)
        previous = np.zeros_like(mined)
        if previous_dir is not None:
            path = osp.join(previous_dir, img_id + '.png')
            if osp.isfile(path):
                previous = load_label_png(path).astype(bool)
        if previous.shape != mined.shape:
            raise InputValueError(f'{previous_dir}/{img_id}.png is '
                                  f'{previous.shape} but the CAMs are '
                                  f'{mined.shape}')
        union = previous | mined
        save_palette_png(
            union.astype(np.uint8), osp.join(out_dir, img_id + '.png'))
        erased.append(union.mean())
        mined_new.append((mined & ~previous).mean())
        truth = osp.join(truth_dir, img_id + '.png') if truth_dir else None
        if truth is not None and osp.isfile(truth):
            label = load_label_png(truth)
            on_object += int((union & (label > 0) & (label < 255)).sum())
            on_background += int((union & (label == 0)).sum())
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    counted = on_object + on_background
    return dict(
        erased_fraction=float(np.mean(erased)) if erased else 0.0,
        mined_fraction=float(np.mean(mined_new)) if mined_new else 0.0,
        erased_precision=round(100.0 * on_object / counted, 2)
        if counted else None)
