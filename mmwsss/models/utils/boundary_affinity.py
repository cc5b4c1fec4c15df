"""Training-side pair computations of IRN's class-boundary branch (Ahn et
al., "Weakly Supervised Learning of Instance Segmentation with Inter-pixel
Relations", CVPR 2019): label down-scaling, pair affinities from a batch of
boundary maps, and the pair labels of the affinity loss.

Pairs are enumerated as in IRN's ``PathIndex``: every source pixel of the
window :func:`~mmwsss.models.utils.pair_geometry.source_window` with every
forward direction of
:func:`~mmwsss.models.utils.pair_geometry.search_directions`. All tensors
of pairs are laid out ``[B, D, h', w']`` (direction, then the source
window); the official code orders the directions by path length instead,
which changes no sum over pairs.
"""
import functools
from typing import List, Sequence, Tuple

import torch
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from .pair_geometry import path_offsets, search_directions, source_window

Offset = Tuple[int, int]


def nearest_resize_label(label: Tensor, size: Sequence[int]) -> Tensor:
    """Resize integer label maps as PIL's ``NEAREST`` resize does.

    Output pixel ``i`` takes input pixel ``floor((i + 0.5) * in / out)``;
    for an exact factor 4 (IRN's ``pil_rescale(label, 0.25, 0)``) that is
    pixel ``4 * i + 2``.

    Args:
        label (Tensor): Labels ``[..., H, W]``.
        size (Sequence[int]): Output ``(h, w)``.

    Returns:
        Tensor: Labels ``[..., h, w]``.
    """
    in_h, in_w = label.shape[-2:]
    out_h, out_w = int(size[0]), int(size[1])

    def source_indices(in_size, out_size):
        # Float64 as PIL's affine nearest sampling; exact for these sizes.
        centres = (torch.arange(out_size, dtype=torch.float64) + 0.5)
        index = torch.floor(centres * in_size / out_size).long()
        return index.clamp_(max=in_size - 1).to(label.device)

    rows = source_indices(in_h, out_h)
    cols = source_indices(in_w, out_w)
    return label.index_select(-2, rows).index_select(-1, cols)


def _check_grid(height: int, width: int, radius: int) -> None:
    floor = radius - 1
    if height <= floor or width <= 2 * floor:
        raise InputValueError(
            f'a {height}x{width} grid has no source pixel for pairs of '
            f'radius {radius}: it needs more than {floor} rows and '
            f'{2 * floor} columns (use a larger crop or a smaller radius)')


def _destination(x: Tensor, direction: Tuple[int, int],
                 window: Tuple[slice, slice]) -> Tensor:
    """The ``[..., h', w']`` slice of ``x`` at ``direction`` from each
    source pixel of ``window``."""
    dy, dx = direction
    rows, cols = window
    return x[..., rows.start + dy:rows.stop + dy,
             cols.start + dx:cols.stop + dx]


@functools.lru_cache(maxsize=None)
def _path_cells(radius: int) -> Tuple[List[Offset], List[Tensor], Tensor]:
    """The cells on the paths of all directions, gathered for a batched max:
    the distinct cell offsets, then per path length the ``[n, length]``
    indices of its paths' cells into them (as IRN groups its paths), and
    the order that puts the grouped directions back in
    :func:`search_directions` order."""
    directions = search_directions(radius)
    paths = [path_offsets(d) for d in directions]
    cells = sorted({cell for path in paths for cell in path})
    position = {cell: i for i, cell in enumerate(cells)}
    by_length = {}
    for k, path in enumerate(paths):
        by_length.setdefault(len(path), []).append(k)
    groups, grouped_order = [], []
    for length in sorted(by_length):
        ks = by_length[length]
        groups.append(
            torch.tensor([[position[c] for c in paths[k]] for k in ks]))
        grouped_order.extend(ks)
    restore = torch.empty(len(directions), dtype=torch.long)
    restore[torch.tensor(grouped_order)] = torch.arange(len(directions))
    return cells, groups, restore


def path_affinities(boundary: Tensor, radius: int) -> Tensor:
    """Affinities of IRN's pixel pairs from boundary probabilities: one
    minus the largest boundary probability on the path between the two
    pixels (``AffinityDisplacementLoss.to_affinity``).

    Args:
        boundary (Tensor): Boundary probabilities ``[B, h, w]``.
        radius (int): Exclusive pair radius in grid cells (IRN: 10).

    Returns:
        Tensor: Affinities ``[B, D, h - radius + 1, w - 2 * (radius - 1)]``
        over :func:`search_directions` and the source window.
    """
    height, width = boundary.shape[-2:]
    _check_grid(height, width, radius)
    window = source_window(height, width, radius)
    cells, groups, restore = _path_cells(radius)
    # Every cell offset once, then one gather and max per path length:
    # a few large ops instead of one per path cell.
    shifted = torch.stack(
        [_destination(boundary, cell, window) for cell in cells], dim=1)
    batch, _, rows, cols = shifted.shape
    maxima = []
    for index in groups:
        on_path = shifted.index_select(1, index.flatten().to(shifted.device))
        on_path = on_path.view(batch, index.shape[0], index.shape[1], rows,
                               cols)
        maxima.append(on_path.max(dim=2).values)
    maxima = torch.cat(maxima, dim=1)
    return 1 - maxima.index_select(1, restore.to(maxima.device))


def pair_labels(label: Tensor,
                radius: int,
                num_classes: int,
                ignore_index: int = 255) -> Tuple[Tensor, Tensor, Tensor]:
    """IRN's pair labels (``GetAffinityLabelFromIndices``) on a batch of
    label maps: a pair is valid if both labels are classes (below
    ``num_classes`` and not ``ignore_index``); positive if valid and equal,
    split into background (label 0) and foreground pairs; negative if valid
    and different.

    Args:
        label (Tensor): Labels ``[B, h, w]`` at the boundary map's size.
        radius (int): Exclusive pair radius in grid cells.
        num_classes (int): Classes including the background (VOC: 21).
        ignore_index (int): The "unsure" label.

    Returns:
        tuple[Tensor]: Float masks ``bg_pos, fg_pos, neg``, each
        ``[B, D, h', w']`` as :func:`path_affinities`.
    """
    height, width = label.shape[-2:]
    _check_grid(height, width, radius)
    window = source_window(height, width, radius)
    valid = (label < num_classes) & (label != ignore_index)
    source = label[..., window[0], window[1]].unsqueeze(1)
    source_valid = valid[..., window[0], window[1]].unsqueeze(1)
    directions = search_directions(radius)
    target = torch.stack(
        [_destination(label, d, window) for d in directions], dim=1)
    target_valid = torch.stack(
        [_destination(valid, d, window) for d in directions], dim=1)
    pair_valid = source_valid & target_valid
    equal = source == target
    positive = equal & pair_valid
    bg_pos = positive & (source == 0)
    fg_pos = positive & (source > 0)
    neg = ~equal & pair_valid
    return bg_pos.float(), fg_pos.float(), neg.float()
