"""Quality of a class-boundary map: average precision against the true
class edges on the boundary map's own grid.

IRN (Ahn, Cho & Kwak, "Weakly Supervised Learning of Instance Segmentation
with Inter-pixel Relations", CVPR 2019) learns its boundary map at stride 4
from image-level labels only; the random walk leaks wherever the map misses
an edge. The true edges of a grid cell are read off the ground-truth mask:
a cell is an edge when the pixels of its block, widened by one pixel on
each side, hold more than one value, the void label (VOC's 255 band along
every object contour) counted as a value; cells whose widened block is
all void say nothing and are left out.
"""
from typing import Dict, Tuple

import numpy as np

from mmwsss.utils.errors import InputValueError

#: Number of score bins of :class:`BoundaryAPAccumulator`: scores are
#: compared at a resolution of 1 / BINS.
BINS = 1000


def true_class_edges(mask: np.ndarray, stride: int = 4,
                     ignore_index: int = 255) -> Tuple[np.ndarray, np.ndarray]:
    """Edge cells of a ground-truth mask on a stride-``stride`` grid.

    Args:
        mask (np.ndarray): Class indices ``[H, W]``, ``ignore_index`` void.
        stride (int): Grid stride; the grid is ``((H - 1) // stride + 1,
            (W - 1) // stride + 1)`` as IRN's strided size.
        ignore_index (int): The void label.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``edges`` and ``valid``, bool
        ``[h, w]``.
    """
    if mask.ndim != 2:
        raise ValueError(f'mask must be [H, W], got {mask.shape}')
    height, width = mask.shape
    grid_h, grid_w = (height - 1) // stride + 1, (width - 1) // stride + 1
    mask = mask.astype(np.int64)
    # Widen every block by one pixel; the image border repeats itself.
    padded = np.pad(mask, ((1, grid_h * stride - height + 1),
                           (1, grid_w * stride - width + 1)), mode='edge')
    size = stride + 2
    windows = np.lib.stride_tricks.sliding_window_view(
        padded, (size, size))[::stride, ::stride][:grid_h, :grid_w]
    windows = windows.reshape(grid_h, grid_w, -1)
    edges = windows.max(axis=-1) != windows.min(axis=-1)
    valid = (windows != ignore_index).any(axis=-1)
    return edges & valid, valid


def format_boundary_eval(result: Dict[str, float]) -> str:
    """One line: the AP, its chance level and the cells counted."""
    return (f"boundary AP {result['boundary_ap']:.2f} % (chance "
            f"{result['chance']:.2f} %) over {result['cells']} cells, "
            f"{result['edge_cells']} of them on true class edges")


def average_precision(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Average precision from counts per score bin, bins in increasing
    score: ``sum_k (R_k - R_{k-1}) P_k`` over thresholds from the top bin
    down (ties within a bin share one threshold, as scikit-learn's
    ``average_precision_score`` treats equal scores).

    Returns:
        float: AP in [0, 1]; NaN without positives.
    """
    tp = np.cumsum(positives[::-1].astype(np.float64))
    fp = np.cumsum(negatives[::-1].astype(np.float64))
    if tp.size == 0 or tp[-1] == 0:
        return float('nan')
    taken = (tp + fp) > 0
    precision = np.where(taken, tp / np.maximum(tp + fp, 1), 0)
    recall = tp / tp[-1]
    gained = np.diff(np.concatenate([[0.0], recall]))
    return float((gained * precision).sum())


class BoundaryAPAccumulator:
    """Streams boundary maps and their true edges into per-bin counts.

    Args:
        bins (int): Score bins over [0, 1].
    """

    def __init__(self, bins: int = BINS):
        self.bins = bins
        self.positives = np.zeros(bins, dtype=np.int64)
        self.negatives = np.zeros(bins, dtype=np.int64)

    def add(self, boundary: np.ndarray, edges: np.ndarray,
            valid: np.ndarray) -> None:
        """Add one map ``[h, w]`` in [0, 1] with its ``edges`` / ``valid``
        cells (see :func:`true_class_edges`)."""
        if boundary.shape != edges.shape:
            raise ValueError(f'boundary {boundary.shape} and edges '
                             f'{edges.shape} must share the grid')
        index = np.clip((boundary * self.bins).astype(np.int64), 0,
                        self.bins - 1)
        self.positives += np.bincount(
            index[edges & valid], minlength=self.bins)
        self.negatives += np.bincount(
            index[~edges & valid], minlength=self.bins)

    def result(self) -> Dict[str, float]:
        """``boundary_ap`` and ``chance`` (the share of edge cells: the AP
        of a map that knows nothing), in percent, and the cell counts."""
        num_pos, num_neg = int(self.positives.sum()), int(
            self.negatives.sum())
        total = num_pos + num_neg
        if not num_pos:
            raise InputValueError('no true class edge among the cells: the '
                                  'masks hold one class each')
        return dict(
            boundary_ap=100 *
            average_precision(self.positives, self.negatives),
            chance=100 * num_pos / total,
            edge_cells=num_pos,
            cells=total)
