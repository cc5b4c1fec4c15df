"""Seed quality of a directory of CAM files: mIoU against the ground-truth
masks with a constant background score, swept over thresholds."""
import os.path as osp
from collections import OrderedDict
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmseg.evaluation import IoUMetric
from prettytable import PrettyTable

from mmwsss.utils.progress import ProgressBar
from mmwsss.cams import cams_to_label, load_cam_file
from mmwsss.datasets import dataset_type_of
from mmwsss.utils import load_label_png, require_files

DEFAULT_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))


def _none_for_nan(values):
    return [None if np.isnan(v) else float(v) for v in values]


class AreaAccumulator:
    """Sums mmseg's intersect/union areas and turns them into IoUs with
    ``IoUMetric``'s own functions, so figures match ``tools/test.py``."""

    def __init__(self, num_classes: int, ignore_index: int = 255) -> None:
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.areas = [torch.zeros(num_classes, dtype=torch.float64)
                      for _ in range(4)]

    def add(self, pred: torch.Tensor, gt: torch.Tensor) -> None:
        areas = IoUMetric.intersect_and_union(
            torch.as_tensor(pred), torch.as_tensor(gt), self.num_classes,
            self.ignore_index)
        for total, area in zip(self.areas, areas):
            total += area.to(torch.float64)

    def precision_recall(
            self) -> Tuple[List[Optional[float]], List[Optional[float]]]:
        """Per-class precision and recall in percent (None where undefined).
        """
        intersect, _, pred, label = (a.numpy() for a in self.areas)
        with np.errstate(divide='ignore', invalid='ignore'):
            precision = intersect / pred * 100
            recall = intersect / label * 100
        return _none_for_nan(precision), _none_for_nan(recall)

    def metrics(self) -> dict:
        """Per-class IoU and mIoU in percent (mIoU rounded as IoUMetric)."""
        ret = IoUMetric.total_area_to_metrics(*self.areas, ['mIoU'])
        iou = np.asarray(ret['IoU'], dtype=np.float64) * 100
        return dict(
            miou=float(np.round(np.nanmean(iou), 2)), iou=_none_for_nan(iou))


def evaluate_seeds(cam_dir: str,
                   data_root: str,
                   split: str = 'train',
                   thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
                   seg_map_dir: Optional[str] = None,
                   class_names: Optional[Sequence[str]] = None,
                   progress: bool = True,
                   ids: Optional[Sequence[str]] = None) -> OrderedDict:
    """Seed mIoU of the CAM files of ``split`` at each background threshold.

    Args:
        cam_dir (str): Directory of ``<id>.npy`` CAM files.
        data_root (str): Dataset root in VOC or COCO layout (see
            :func:`~mmwsss.datasets.dataset_type_of`).
        split (str): Split whose ids are evaluated.
        thresholds (Sequence[float]): Background scores to try.
        seg_map_dir (str, optional): Ground-truth folder, under
            ``data_root`` or absolute. Default: the layout's
            (``SegmentationClass``; COCO: ``SegmentationClass/<split>``).
        class_names (Sequence[str], optional): Background first; default:
            the data root's (VOC: ``classes.txt`` else VOC's; COCO: the
            split's categories).
        progress (bool): Show a progress bar.
        ids (Sequence[str], optional): The ids to evaluate; default: the
            split's.

    Returns:
        dict: ``best_threshold``, ``best_miou``, ``per_class_iou`` (at the
        best threshold), ``miou_by_threshold``, ``background_miou`` (all
        pixels background), ``class_names``, ``num_images``.
    """
    dataset_type = dataset_type_of(data_root)
    class_names = tuple(class_names
                        or dataset_type.class_names(data_root, split))
    num_classes = len(class_names)
    if ids is None:
        ids = dataset_type.split_ids(data_root, split)
    mask_dir = dataset_type.true_mask_dir(data_root, split, seg_map_dir)
    require_files(cam_dir, ids, '.npy', f'CAM files of split {split!r}',
                  '; run make_cams')
    thresholds = [float(t) for t in thresholds]
    accumulators = [AreaAccumulator(num_classes) for _ in thresholds]
    background = AreaAccumulator(num_classes)
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        gt = torch.from_numpy(
            load_label_png(osp.join(mask_dir,
                                    img_id + '.png')).astype(np.int64))
        cam = load_cam_file(
            osp.join(cam_dir, img_id + '.npy'),
            num_classes=num_classes - 1,
            shape=gt.shape)
        cams = torch.from_numpy(cam['high_res'])
        for threshold, acc in zip(thresholds, accumulators):
            acc.add(cams_to_label(cams, cam['keys'], threshold), gt)
        background.add(torch.zeros_like(gt), gt)
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    results = [acc.metrics() for acc in accumulators]
    best = max(range(len(thresholds)), key=lambda i: results[i]['miou'])
    return OrderedDict(
        best_threshold=thresholds[best],
        best_miou=results[best]['miou'],
        background_miou=background.metrics()['miou'],
        per_class_iou=OrderedDict(zip(class_names, results[best]['iou'])),
        miou_by_threshold=OrderedDict(
            (f'{t:.2f}', r['miou']) for t, r in zip(thresholds, results)),
        class_names=list(class_names),
        num_images=len(ids),
        split=split,
        cam_dir=osp.abspath(cam_dir))


def format_seed_table(result: dict, title: str = 'Seed mIoU') -> str:
    """Render a seed evaluation as two tables (per class, per threshold),
    headed ``<title> <best mIoU> at background threshold ...``."""
    per_class = PrettyTable(['class', 'IoU'])
    for name, iou in result['per_class_iou'].items():
        per_class.add_row([name, '-' if iou is None else f'{iou:.2f}'])
    sweep = PrettyTable(['threshold', 'mIoU'])
    for threshold, miou in result['miou_by_threshold'].items():
        mark = ' *' if float(threshold) == result['best_threshold'] else ''
        sweep.add_row([threshold + mark, f'{miou:.2f}'])
    return (f"{title} {result['best_miou']:.2f} at background threshold "
            f"{result['best_threshold']:.2f} ({result['num_images']} images, "
            f"split {result['split']}; all-background "
            f"{result['background_miou']:.2f})\n"
            f'{per_class.get_string()}\n{sweep.get_string()}')
