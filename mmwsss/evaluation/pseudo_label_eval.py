"""Quality of pseudo labels against the ground-truth masks."""
import os.path as osp
from collections import OrderedDict

import numpy as np
import torch
from mmengine.utils import ProgressBar
from prettytable import PrettyTable

from mmwsss.datasets.image_labels import read_split_ids, split_file
from mmwsss.pseudo_labels import IGNORE_INDEX
from mmwsss.utils import load_label_png, require_files
from .seed_eval import AreaAccumulator, dataset_class_names


def _nanmean(values):
    values = [v for v in values if v is not None]
    return float(np.round(np.mean(values), 2)) if values else None


def evaluate_pseudo_labels(label_dir,
                           data_root,
                           split='train',
                           seg_map_dir='SegmentationClass',
                           class_names=None,
                           progress=True,
                           ids=None):
    """mIoU, precision and recall of the pseudo labels of ``split`` (or of
    ``ids``, with masks in ``seg_map_dir``, which may be absolute).

    Pixels a pseudo label ignores (255) count against recall, not
    precision; their share is reported as ``ignored_fraction``.

    Returns:
        dict: ``miou``, ``mean_precision``, ``mean_recall``,
        ``ignored_fraction`` (percent of pixels), ``per_class`` (IoU,
        precision, recall), ``num_images``.
    """
    class_names = tuple(class_names or dataset_class_names(data_root))
    if ids is None:
        ids = read_split_ids(split_file(split, data_root))
    require_files(label_dir, ids, '.png',
                  f'pseudo labels of split {split!r}')
    acc = AreaAccumulator(len(class_names))
    ignored = total = 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        pseudo = load_label_png(osp.join(label_dir, img_id + '.png'))
        gt_path = osp.join(data_root, seg_map_dir, img_id + '.png')
        gt = load_label_png(gt_path)
        if pseudo.shape != gt.shape:
            raise ValueError(
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


def format_pseudo_label_table(result):
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
