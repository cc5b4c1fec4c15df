"""Random walk of IRN and PSA on a stencil, without the dense transition
matrix.

Both IRN (Ahn, Cho, Kwak, "Weakly Supervised Learning of Instance
Segmentation with Inter-pixel Relations", CVPR 2019) and PSA / AffinityNet
(Ahn & Kwak, "Learning Pixel-level Semantic Affinity with Image-level
Supervision", CVPR 2018) propagate class scores ``x`` over a feature grid
of ``N = h * w`` nodes with ``x <- x T^(2^t)``, where ``T`` is the column
normalised ``A^beta`` and ``A`` the symmetric pair affinities (diagonal 1,
zero for pairs that are not enumerated). The official code builds ``T`` as
a dense ``N x N`` matrix and squares it ``t`` times: ``O(N^2)`` memory and
``O(t N^3)`` time, hours per image on a CPU at VOC sizes.

Every node only has its neighbours within the pair radius (radius 5: 34
forward directions, 68 neighbours and itself), so one step
``y[j] = sum_i x[i] W[i, j] / d[j]`` (``W = A^beta``, ``d`` its column sums)
is a stencil over shifted score maps. Applying it ``2^t`` times is
mathematically ``x T^(2^t)``; only the float32 rounding differs.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.models.utils.boundary_affinity import path_affinities
from mmwsss.models.utils.pair_geometry import search_directions, source_window
from mmwsss.utils.errors import InputValueError

Offset = Tuple[int, int]


def _check_directions(affinities: Tensor, radius: int) -> List[Offset]:
    directions = search_directions(radius)
    if affinities.dim() != 3 or affinities.shape[0] != len(directions):
        raise ValueError(
            f'affinities must be [D, h, w] with D = {len(directions)} '
            f'directions for radius {radius}, got '
            f'{tuple(affinities.shape)}')
    return directions


def _destination_in_grid(height: int, width: int,
                         directions: Sequence[Offset],
                         device: torch.device) -> Tensor:
    """``[D, h, w]`` bool: whether ``p + d`` lies on the grid."""
    rows = torch.arange(height, device=device).view(1, -1, 1)
    cols = torch.arange(width, device=device).view(1, 1, -1)
    dy = torch.tensor([d[0] for d in directions], device=device)
    dx = torch.tensor([d[1] for d in directions], device=device)
    dy, dx = dy.view(-1, 1, 1), dx.view(-1, 1, 1)
    return ((rows + dy < height) & (cols + dx >= 0) & (cols + dx < width))


def boundary_affinities(boundary: Tensor, radius: int) -> Tensor:
    """IRN's pair affinities from a class-boundary map, for every pixel.

    ``a_d[p] = 1 - max`` of the boundary map over IRN's path cells from
    ``p`` to ``p + d`` (``misc/indexing.py`` ``edge_to_affinity``). IRN's
    ``propagate_to_edge`` pads the map with boundary 1 so that every
    in-image pair exists and every pair leaving the image gets affinity 0;
    the same padding is used here.

    Args:
        boundary (Tensor): Boundary probabilities ``[h, w]``.
        radius (int): Exclusive pair radius in grid cells (IRN: 5).

    Returns:
        Tensor: Affinities ``[D, h, w]``, ``D`` the forward directions of
        :func:`~mmwsss.models.utils.pair_geometry.search_directions` in
        that order; 0 where ``p + d`` is outside the grid.
    """
    if boundary.dim() != 2:
        raise ValueError(f'boundary must be [h, w], got '
                         f'{tuple(boundary.shape)}')
    floor = radius - 1
    # Forward paths go right, left and down by at most radius - 1 cells:
    # padded on those sides with 1, IRN's source window of the padded map
    # is the image, and pairs leaving the image get affinity exactly 0.
    padded = F.pad(boundary[None], (floor, floor, 0, floor), value=1.0)
    return path_affinities(padded, radius)[0]


def feature_affinities(features: Tensor,
                       radius: int,
                       psa_window: bool = True) -> Tensor:
    """AffinityNet's pair affinities ``exp(-mean_c |f_p - f_{p+d}|)``
    (PSA ``network/resnet38_aff.py``), for every pixel.

    Args:
        features (Tensor): Affinity features ``[C, h, w]``.
        radius (int): Exclusive pair radius in grid cells (PSA: 5).
        psa_window (bool): Keep only the pairs that PSA's
            ``get_indices_of_pairs`` enumerates: sources in rows
            ``[0, h - radius + 1)`` and columns
            ``[radius - 1, w - radius + 1)``. PSA's random walk has no
            other pairs near the borders (affinity 0 there), so this is
            needed to reproduce it. Default: True.

    Returns:
        Tensor: Affinities ``[D, h, w]`` over the forward directions of
        :func:`~mmwsss.models.utils.pair_geometry.search_directions`; 0
        where ``p + d`` is outside the grid or, with ``psa_window``, ``p``
        outside the source window.
    """
    if features.dim() != 3:
        raise ValueError(f'features must be [C, h, w], got '
                         f'{tuple(features.shape)}')
    _, height, width = features.shape
    directions = search_directions(radius)
    floor = radius - 1
    # Zero padding only feeds pairs leaving the grid, masked out below.
    padded = F.pad(features, (floor, floor, 0, floor))
    affinities = torch.stack([
        torch.exp(-(padded[:, dy:dy + height, floor + dx:floor + dx + width]
                    - features).abs().mean(dim=0)) for dy, dx in directions
    ])
    valid = _destination_in_grid(height, width, directions, features.device)
    if psa_window:
        rows, cols = source_window(height, width, radius)
        window = torch.zeros(
            height, width, dtype=torch.bool, device=features.device)
        # Clamped: on grids too small for a window a negative stop would
        # wrap around instead of selecting nothing.
        window[:max(rows.stop, 0), cols.start:max(cols.stop, 0)] = True
        valid &= window
    return affinities * valid


class _Stencil:
    """The normalised weights of one walk step on a flat, padded layout.

    The score maps live in buffers of ``h + 2 * (radius - 1) + 2`` rows of
    ``w + radius - 1`` columns, zero outside the image. With that row
    pitch a neighbour at ``(dy, dx)`` is a constant flat offset
    ``dy * pitch + dx``, so each of the ``2D + 1`` terms of a step is one
    contiguous slice of the buffer times one precomputed weight row: a
    column step off the right (or left) edge lands in the zero columns at
    the end of the same (or previous) row instead of wrapping onto image
    pixels, and the weights of those columns are 0 so they stay 0.
    """

    def __init__(self, affinities: Tensor, radius: int, beta: float):
        directions = _check_directions(affinities, radius)
        num_dirs, height, width = affinities.shape
        floor = radius - 1
        self.height, self.width, self.floor = height, width, floor
        self.pitch = width + floor
        self.rows = height + 2 * floor + 2
        self.base = (floor + 1) * self.pitch
        self.length = height * self.pitch

        valid = _destination_in_grid(height, width, directions,
                                     affinities.device)
        # Pairs leaving the grid must not count in the column sums even
        # if the caller's map is not 0 there.
        forward = affinities.float()
        forward = forward.where(valid, forward.new_zeros(()))
        # The power in float32 as the official code; the sums and the
        # division in float64, so that the weights of a column add up to 1
        # within one float32 rounding: their drift would otherwise compound
        # over the hundreds of steps.
        forward = forward.pow(beta).double()
        # W is symmetric: the weight from j - d to j is the forward
        # weight of d stored at the source j - d, shifted onto j.
        backward = F.pad(forward, (floor, floor, floor, 0))
        backward = torch.stack([
            backward[k, floor - dy:floor - dy + height,
                     floor - dx:floor - dx + width]
            for k, (dy, dx) in enumerate(directions)
        ])
        # Column sums of W = A^beta: the diagonal (1) and both halves.
        column_sum = 1 + forward.sum(dim=0) + backward.sum(dim=0)
        weights = torch.cat([
            torch.ones_like(column_sum)[None], forward, backward
        ]) / column_sum
        # Zero weights on the padding columns keep them 0 after each step.
        weights = F.pad(weights, (0, floor))
        self.weights = weights.reshape(2 * num_dirs + 1, -1).float()
        offsets = [(0, 0)] + directions + [(-dy, -dx)
                                           for dy, dx in directions]
        self.offsets = [dy * self.pitch + dx for dy, dx in offsets]

    def run(self, scores: Tensor, steps: int) -> Tensor:
        """``steps`` applications of ``y[j] = sum_o K_o[j] x[j + o]``."""
        channels = scores.shape[0]
        buffers = [
            scores.new_zeros(channels, self.rows * self.pitch)
            for _ in range(2)
        ]
        top = self.floor + 1
        buffers[0].view(channels, self.rows,
                        self.pitch)[:, top:top + self.height,
                                    :self.width] = scores
        start, stop = self.base, self.base + self.length
        # The shifted views of both buffers are made once: the step is the
        # hot path and otherwise spends as long slicing as computing.
        shifted = [[buf[:, start + o:stop + o] for o in self.offsets]
                   for buf in buffers]
        cores = [buf[:, start:stop] for buf in buffers]
        weights = list(self.weights.unbind(0))
        current = 0
        for _ in range(steps):
            out, terms = cores[1 - current], shifted[current]
            # The neighbours first, the node itself last: its term
            # dominates, and added first it would swallow the low bits of
            # the small neighbour terms the same way at every step (the
            # walk is near its fixed point), a bias growing with the steps.
            torch.mul(terms[1], weights[1], out=out)
            for term, weight in zip(terms[2:], weights[2:]):
                out.addcmul_(term, weight)
            out.addcmul_(terms[0], weights[0])
            current = 1 - current
        core = cores[current].view(channels, self.height, self.pitch)
        return core[..., :self.width].clone()


def random_walk(scores: Tensor, affinities: Tensor, radius: int,
                beta: float, steps: int) -> Tensor:
    """``steps`` random-walk steps of ``scores`` over pair affinities.

    Equal (up to float32 rounding) to the official
    ``scores.view(C, -1) @ T^steps`` with ``T = A^beta / A^beta.sum(0)``,
    ``A`` the symmetric ``N x N`` affinity matrix with ones on the
    diagonal (IRN ``to_transition_matrix``, PSA ``infer_aff.py``; both use
    ``steps = 2^t`` and reach it by ``t`` squarings). ``T`` is never
    built: each step is a stencil over the ``2D + 1`` neighbours.

    Args:
        scores (Tensor): Scores ``[C, h, w]``.
        affinities (Tensor): Forward affinities ``[D, h, w]`` in [0, 1] as
            returned by :func:`boundary_affinities` or
            :func:`feature_affinities`; entries whose destination is off
            the grid are ignored.
        radius (int): The pair radius of ``affinities``.
        beta (float): Exponent applied to the affinities (> 0).
        steps (int): Number of steps (``2 ** exp_times``, ``2 ** logt``).

    Returns:
        Tensor: Propagated scores ``[C, h, w]``, float32.
    """
    if scores.dim() != 3 or scores.shape[1:] != affinities.shape[1:]:
        raise ValueError(f'scores [C, h, w] and affinities [D, h, w] must '
                         f'share the grid, got {tuple(scores.shape)} and '
                         f'{tuple(affinities.shape)}')
    if int(steps) != steps or steps < 0:
        raise ValueError(f'steps must be an integer >= 0, got {steps}')
    if not beta > 0:
        raise ValueError(f'beta must be > 0, got {beta}')
    scores = scores.float()
    stencil = _Stencil(affinities.to(scores.device), radius, beta)
    if scores.shape[0] == 0 or steps == 0:
        return scores.clone()
    return stencil.run(scores, int(steps))


def stencil_variance(radius: int) -> float:
    """Per-axis variance, in grid cells², of one step of the walk where
    every affinity is 1: the uniform distribution over a node and its
    neighbours within ``radius`` (69 nodes at radius 5: 5.45 cells²).

    Args:
        radius (int): Exclusive pair radius (>= 2).

    Returns:
        float: ``mean(dy**2)`` over the offsets with
        ``dy**2 + dx**2 < radius**2``, the node itself included.
    """
    forward = search_directions(radius)
    offsets = [(0, 0)] + forward + [(-dy, -dx) for dy, dx in forward]
    return sum(dy * dy for dy, _ in offsets) / len(offsets)


def walk_steps(grid: Tuple[int, int],
               exp_times: int,
               radius: int,
               steps_rule: str = 'fixed',
               reference_grid: Optional[Tuple[int, int]] = None,
               reference_radius: Optional[int] = None) -> int:
    """Number of random-walk steps on a ``grid`` of feature cells.

    ``'fixed'``: the official ``2 ** exp_times`` whatever the image.

    ``'relative'``: the walk's reach relative to the image is held to the
    official walk's at the official size. With all affinities 1 a step
    moves a score by the stencil's variance ``s²(r)`` per axis
    (:func:`stencil_variance`), so after ``t`` steps it has spread over a
    standard deviation ``sqrt(t s²(r))`` cells: relative to the grid's side
    ``sqrt(h w)`` that is ``sqrt(t s²(r) / (h w))``. Equal at the
    reference grid ``(h_ref, w_ref)``, where the official walk takes
    ``2 ** exp_times`` steps at radius ``r_ref``, it gives::

        t = round(2 ** exp_times * (h * w) / (h_ref * w_ref)
                  * s²(r_ref) / s²(r)),   at least 1.

    Learned affinities slow the walk down the same way on both grids, so
    the ratio holds for them too. At VOC's ~375 x 500 images (stride-4
    grid 94 x 125, IRN; stride-8 grid 47 x 63, PSA) the rule gives the
    official 256 steps; on a 128 x 128 image 22 steps (32 x 32 and
    16 x 16 grids).

    Args:
        grid (tuple[int, int]): ``(h, w)`` of the walk's grid.
        exp_times (int): ``log2`` of the official number of steps
            (IRN's ``exp_times``, PSA's ``logt``).
        radius (int): Pair radius of this walk.
        steps_rule (str): ``'fixed'`` or ``'relative'``.
        reference_grid (tuple[int, int], optional): The grid at which
            ``2 ** exp_times`` steps are official; needed for
            ``'relative'``.
        reference_radius (int, optional): The radius they are official at
            (default: ``radius``).

    Returns:
        int: Number of steps.
    """
    if steps_rule == 'fixed':
        return 2**int(exp_times)
    if steps_rule != 'relative':
        raise InputValueError(f"steps_rule must be 'fixed' or 'relative', "
                              f'got {steps_rule!r}')
    if reference_grid is None or min(reference_grid) < 1:
        raise InputValueError(f'reference_grid must be two sizes >= 1 for '
                              f"steps_rule 'relative', got {reference_grid}")
    reference_radius = radius if reference_radius is None else \
        reference_radius
    area = grid[0] * grid[1] / (reference_grid[0] * reference_grid[1])
    ratio = stencil_variance(reference_radius) / stencil_variance(radius)
    return max(1, int(round(2**int(exp_times) * area * ratio)))


def irn_label_scores(cams: Tensor,
                     boundary: Tensor,
                     image_size: Tuple[int, int],
                     beta: float = 10.,
                     exp_times: int = 8,
                     radius: int = 5,
                     steps: Optional[int] = None) -> Tensor:
    """IRN's semantic-segmentation scores (``step/make_sem_seg_labels.py``
    up to ``rw_up / max``): the stride-4 CAMs, damped by ``1 - boundary``,
    walk ``2 ** exp_times`` steps (or ``steps``, see :func:`walk_steps`)
    over the boundary affinities, are
    upsampled x4 (bilinear, ``align_corners=False``), cropped to the image
    and divided by their global maximum. The label is then the argmax
    after a constant background channel.

    Args:
        cams (Tensor): Stride-4 CAMs of the present classes
            ``[n, h4, w4]``.
        boundary (Tensor): Class-boundary map ``[h4, w4]`` in [0, 1].
        image_size (tuple[int, int]): ``(H, W)`` with ``H <= 4 * h4``,
            ``W <= 4 * w4``.
        beta (float): Affinity exponent. Default: 10.
        exp_times (int): ``log2`` of the number of steps. Default: 8.
        radius (int): Pair radius. Default: 5.
        steps (int, optional): Number of steps instead of
            ``2 ** exp_times``.

    Returns:
        Tensor: Scores ``[n, H, W]``, float32, maximum 1 (unless all are
        0: the official code then divides by 0; they are left at 0).
    """
    height, width = int(image_size[0]), int(image_size[1])
    if cams.dim() != 3 or cams.shape[1:] != boundary.shape:
        raise ValueError(f'cams [n, h4, w4] and boundary [h4, w4] must '
                         f'match, got {tuple(cams.shape)} and '
                         f'{tuple(boundary.shape)}')
    if 4 * boundary.shape[0] < height or 4 * boundary.shape[1] < width:
        raise ValueError(f'a {tuple(boundary.shape)} stride-4 grid does not '
                         f'cover an image of size {(height, width)}')
    if cams.shape[0] == 0:
        return cams.new_zeros(0, height, width, dtype=torch.float32)
    boundary = boundary.float()
    scores = cams.float() * (1 - boundary)
    walked = random_walk(scores, boundary_affinities(boundary, radius),
                         radius, beta,
                         2**int(exp_times) if steps is None else steps)
    upsampled = F.interpolate(
        walked[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :height, :width]
    peak = upsampled.max()
    return upsampled / peak if peak > 0 else upsampled


def psa_label_scores(cams: Tensor,
                     features: Tensor,
                     alpha: Union[float, Sequence[float]] = 16.,
                     beta: float = 8.,
                     logt: int = 8,
                     radius: int = 5,
                     steps: Optional[int] = None) -> Tensor:
    """PSA's random-walk scores (``infer_aff.py`` up to the upsampled
    propagated scores): the background ``(1 - max_c CAM_c) ** alpha`` is
    stacked before the full-resolution CAMs, zero-padded at the bottom and
    right to a multiple of 8, average-pooled by 8, walked ``2 ** logt``
    steps over the feature affinities of PSA's pair window, upsampled x8
    (bilinear) and cropped to the image. The label is their argmax.

    Deviation: the upsampling is ``F.interpolate(mode='bilinear',
    align_corners=False)``. PSA calls ``nn.Upsample(mode='bilinear')``
    without ``align_corners``; under PyTorch 0.4 (PSA's tested version)
    that defaults to ``align_corners=False`` as here, but PyTorch < 0.4
    interpolated as ``align_corners=True``, so labels of such runs differ
    slightly along edges.

    Args:
        cams (Tensor): Full-resolution CAMs of the present classes
            ``[n, H, W]`` in [0, 1].
        features (Tensor): Affinity features ``[D, h8, w8]`` of the image
            zero-padded at the bottom and right to a multiple of 8
            (``h8 = ceil(H / 8)``, ``w8 = ceil(W / 8)``).
        alpha (float | Sequence[float]): Background exponent. Default: 16.
            Several walk one background each in the same walk (the walk
            treats channels independently), to choose among them.
        beta (float): Affinity exponent. Default: 8.
        logt (int): ``log2`` of the number of steps. Default: 8.
        radius (int): Pair radius. Default: 5.
        steps (int, optional): Number of steps instead of ``2 ** logt``
            (see :func:`walk_steps`).

    Returns:
        Tensor: Scores ``[n + 1, H, W]``, float32, background first
        (``[len(alpha) + n, H, W]`` for several, their backgrounds first).
    """
    if cams.dim() != 3 or features.dim() != 3:
        raise ValueError(f'cams must be [n, H, W] and features [D, h8, w8], '
                         f'got {tuple(cams.shape)} and '
                         f'{tuple(features.shape)}')
    height, width = cams.shape[1:]
    grid = (-(-height // 8), -(-width // 8))
    if tuple(features.shape[1:]) != grid:
        raise ValueError(f'features of an image of size {(height, width)} '
                         f'must have the grid {grid}, got '
                         f'{tuple(features.shape[1:])}')
    cams = cams.float().to(features.device)
    # PSA's max runs over all 20 class channels, absent ones 0.
    peak = cams.amax(dim=0).clamp(min=0) if cams.shape[0] else \
        cams.new_zeros(height, width)
    alphas = [alpha] if isinstance(alpha, (int, float)) else list(alpha)
    scores = torch.cat(
        [torch.stack([(1 - peak).pow(a) for a in alphas]), cams])
    # The padding is applied after the background, so it is 0 there too.
    scores = F.pad(scores, (0, 8 * grid[1] - width, 0, 8 * grid[0] - height))
    scores = F.avg_pool2d(scores[None], 8, 8)[0]
    walked = random_walk(scores, feature_affinities(features.float(), radius),
                         radius, beta,
                         2**int(logt) if steps is None else steps)
    upsampled = F.interpolate(
        walked[None], size=(8 * grid[0], 8 * grid[1]), mode='bilinear',
        align_corners=False)[0]
    return upsampled[:, :height, :width]
