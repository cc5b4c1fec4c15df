"""Quality of pseudo labels against the ground-truth masks."""
import os.path as osp
from collections import OrderedDict
from typing import Optional, Sequence

import numpy as np
import torch
from prettytable import PrettyTable

from mmwsss.utils.progress import ProgressBar
from mmwsss.datasets import dataset_type_of
from mmwsss.pseudo_labels import IGNORE_INDEX
from mmwsss.utils import load_label_png, require_files
from mmwsss.utils.errors import InputValueError
from .seed_eval import AreaAccumulator


def _nanmean(values):
    values = [v for v in values if v is not None]
    return float(np.round(np.mean(values), 2)) if values else None


def evaluate_pseudo_labels(label_dir: str,
                           data_root: str,
                           split: str = 'train',
                           seg_map_dir: Optional[str] = None,
                           class_names: Optional[Sequence[str]] = None,
                           progress: bool = True,
                           ids: Optional[Sequence[str]] = None
                           ) -> OrderedDict:
    """mIoU, precision and recall of the pseudo labels of ``split`` (or of
    ``ids``, with masks in ``seg_map_dir``, which may be absolute).

    Pixels a pseudo label ignores (255) count against recall, not
    precision; their share is reported as ``ignored_fraction``.

    Args:
        label_dir (str): Directory of ``<id>.png`` pseudo labels.
        data_root (str): Dataset root in VOC or COCO layout (see
            :func:`~mmwsss.datasets.dataset_type_of`).
        split (str): Split whose ids are evaluated.
        seg_map_dir (str, optional): Ground-truth folder, under
            ``data_root`` or absolute. Default: the layout's
            (``SegmentationClass``; COCO: ``SegmentationClass/<split>``).
        class_names (Sequence[str], optional): Background first; default:
            the data root's.
        progress (bool): Show a progress bar.
        ids (Sequence[str], optional): The ids to evaluate; default: the
            split's.

    Returns:
        dict: ``miou``, ``mean_precision``, ``mean_recall``,
        ``ignored_fraction`` (percent of pixels), ``per_class`` (IoU,
        precision, recall), ``num_images``.
    """
    dataset_type = dataset_type_of(data_root)
    class_names = tuple(class_names
                        or dataset_type.class_names(data_root, split))
    if ids is None:
        ids = dataset_type.split_ids(data_root, split)
    mask_dir = dataset_type.true_mask_dir(data_root, split, seg_map_dir)
    require_files(label_dir, ids, '.png',
                  f'pseudo labels of split {split!r}')
    acc = AreaAccumulator(len(class_names))
    ignored = total = 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        pseudo = load_label_png(osp.join(label_dir, img_id + '.png'))
        gt_path = osp.join(mask_dir, img_id + '.png')
        gt = load_label_png(gt_path)
        if pseudo.shape != gt.shape:
            raise InputValueError(
                f'{osp.join(label_dir, img_id + ".png")}: size '
                f'{pseudo.shape} differs from the ground truth {gt.shape}')
        acc.add(
            torch.from_numpy(pseudo.astype(np.int64)),
            torch.from_numpy(gt.astype(np.int64)))
        ignored += int((pseudo == IGNORE_INDEX).sum())
        total += pseudo.size
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    metrics = acc.metrics()
    precision, recall = acc.precision_recall()
    per_class = OrderedDict(
        (name, dict(iou=iou, precision=p, recall=r))
        for name, iou, p, r in zip(class_names, metrics['iou'], precision,
                                   recall))
    return OrderedDict(
        miou=metrics['miou'],
        mean_precision=_nanmean(precision),
        mean_recall=_nanmean(recall),
        ignored_fraction=round(100.0 * ignored / max(total, 1), 2),
        per_class=per_class,
        num_images=len(ids),
        split=split,
        label_dir=osp.abspath(label_dir))


def format_pseudo_label_table(result: dict) -> str:
    """Render a pseudo-label evaluation as a table."""
    table = PrettyTable(['class', 'IoU', 'precision', 'recall'])
    fmt = lambda v: '-' if v is None else f'{v:.2f}'  # noqa: E731
    for name, row in result['per_class'].items():
        table.add_row([
            name,
            fmt(row['iou']),
            fmt(row['precision']),
            fmt(row['recall'])
        ])
    return (f"Pseudo-label mIoU {result['miou']:.2f}, precision "
            f"{fmt(result['mean_precision'])}, recall "
            f"{fmt(result['mean_recall'])}, ignored "
            f"{result['ignored_fraction']:.2f}% of pixels "
            f"({result['num_images']} images, split {result['split']})\n"
            f'{table.get_string()}')
