"""IRN's random walk as the official code computes it: an ``N x N``
transition matrix over the ``N`` nodes of the stride-4 grid, squared
``exp_times`` times. Memory grows as ``N ** 2``; the stencil walk of
:mod:`mmwsss.pseudo_labels.random_walk` computes the same scores."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.models.utils.pair_geometry import search_directions
from mmwsss.pseudo_labels.random_walk import boundary_affinities


def random_walk_inputs(grid: Tuple[int, int],
                       num_classes: int,
                       seed: int = 0) -> Tuple[Tensor, Tensor]:
    """Deterministic smooth inputs of the walk on a stride-4 grid: both are
    bilinear upsampled from noise at 1/8 of the grid, so that they have
    regions and edges.

    Args:
        grid (tuple[int, int]): ``(h4, w4)``, the stride-4 grid.
        num_classes (int): Number of CAM channels.
        seed (int): Seed of the noise. Default: 0.

    Returns:
        tuple[Tensor, Tensor]: CAMs ``[num_classes, h4, w4]`` in [0, 1]
        and a boundary map ``[h4, w4]`` in (0, 1).
    """
    generator = torch.Generator().manual_seed(seed)
    coarse = (max(grid[0] // 8, 2), max(grid[1] // 8, 2))

    def smooth(channels):
        noise = torch.randn(1, channels, *coarse, generator=generator)
        return F.interpolate(noise, grid, mode='bilinear',
                             align_corners=False)[0]

    boundary = torch.sigmoid(3 * smooth(1)[0] - 1)
    cams = torch.sigmoid(2 * smooth(num_classes))
    return cams, boundary


def dense_affinity(affinities: Tensor, radius: int) -> Tensor:
    """The ``N x N`` affinity matrix as IRN builds it
    (``affinity_sparse2dense``): the forward pairs, ones on the diagonal
    and the transposed pairs, from a sparse tensor.

    Args:
        affinities (Tensor): Affinities of the forward pairs
            ``[D, h, w]``, one channel per direction of
            :func:`~mmwsss.models.utils.pair_geometry.search_directions`,
            as :func:`~mmwsss.pseudo_labels.random_walk.
            boundary_affinities` returns them.
        radius (int): Pair radius.

    Returns:
        Tensor: The symmetric affinity matrix ``[h * w, h * w]`` on the
        device of ``affinities``, nodes in row-major order.
    """
    device = affinities.device
    affinities = affinities.cpu()
    _, height, width = affinities.shape
    index = torch.arange(height * width).view(height, width)
    rows, cols, values = [], [], []
    for k, (dy, dx) in enumerate(search_directions(radius)):
        src = index[:height - dy, max(-dx, 0):width - max(dx, 0)]
        dst = index[dy:, max(dx, 0):width - max(-dx, 0)]
        rows.append(src.reshape(-1))
        cols.append(dst.reshape(-1))
        values.append(affinities[k, :height - dy,
                                 max(-dx, 0):width - max(dx, 0)].reshape(-1))
    src, dst, values = torch.cat(rows), torch.cat(cols), torch.cat(values)
    diagonal = torch.arange(height * width)
    indices = torch.cat([
        torch.stack([src, dst]),
        torch.stack([diagonal, diagonal]),
        torch.stack([dst, src])
    ], dim=1)
    values = torch.cat([values, torch.ones(height * width), values])
    # Densified on the CPU and moved, as IRN does.
    return torch.sparse_coo_tensor(
        indices, values, (height * width, ) * 2,
        check_invariants=True).to_dense().to(device)


def dense_transition(boundary: Tensor,
                     beta: float = 10.,
                     radius: int = 5) -> Tuple[Tensor, Tensor, Tensor]:
    """IRN's one-step transition matrix from a boundary map, with the two
    matrices it is made from.

    IRN holds all three ``N x N`` matrices while it squares the transition
    matrix; returning them lets a caller keep them alive, so that its peak
    memory is the official code's.

    Args:
        boundary (Tensor): Class-boundary map ``[h4, w4]`` in [0, 1].
        beta (float): Affinity exponent. Default: 10.
        radius (int): Pair radius. Default: 5.

    Returns:
        tuple[Tensor, Tensor, Tensor]: The affinity matrix, its ``beta``-th
        power and the column-normalised transition matrix, each
        ``[N, N]`` with ``N = h4 * w4``.
    """
    affinity = dense_affinity(boundary_affinities(boundary, radius), radius)
    powered = torch.pow(affinity, beta)
    transition = powered / torch.sum(powered, dim=0, keepdim=True)
    return affinity, powered, transition


def dense_walk_scores(cams: Tensor, boundary: Tensor, transition: Tensor,
                      image_size: Tuple[int, int]) -> Tensor:
    """The last part of IRN's walk: the CAMs, damped by ``1 - boundary``,
    times the (squared) transition matrix, upsampled x4 (bilinear,
    ``align_corners=False``), cropped to the image and divided by their
    global maximum.

    Args:
        cams (Tensor): Stride-4 CAMs ``[n, h4, w4]``.
        boundary (Tensor): Class-boundary map ``[h4, w4]`` in [0, 1].
        transition (Tensor): The walk's transition matrix ``[N, N]``,
            ``N = h4 * w4``.
        image_size (tuple[int, int]): ``(H, W)`` with ``H <= 4 * h4``,
            ``W <= 4 * w4``.

    Returns:
        Tensor: Scores ``[n, H, W]``, maximum 1.
    """
    height, width = boundary.shape
    damped = cams.view(-1, height, width) * (1 - boundary)
    walked = torch.matmul(damped.view(-1, height * width), transition)
    upsampled = F.interpolate(
        walked.view(-1, 1, height, width), scale_factor=4, mode='bilinear',
        align_corners=False)[..., 0, :image_size[0], :image_size[1]]
    return upsampled / torch.max(upsampled)


def dense_irn_label_scores(cams: Tensor,
                           boundary: Tensor,
                           image_size: Tuple[int, int],
                           beta: float = 10.,
                           exp_times: int = 8,
                           radius: int = 5) -> Tensor:
    """IRN's official dense walk (``propagate_to_edge`` and
    ``make_sem_seg_labels``): dense affinity, power, column normalisation,
    ``exp_times`` squarings of the ``N x N`` transition matrix, then
    :func:`dense_walk_scores`. The reference of
    :func:`mmwsss.pseudo_labels.random_walk.irn_label_scores`.

    Args:
        cams (Tensor): Stride-4 CAMs ``[n, h4, w4]``.
        boundary (Tensor): Class-boundary map ``[h4, w4]`` in [0, 1].
        image_size (tuple[int, int]): ``(H, W)`` of the image.
        beta (float): Affinity exponent. Default: 10.
        exp_times (int): ``log2`` of the number of steps. Default: 8.
        radius (int): Pair radius. Default: 5.

    Returns:
        Tensor: Scores ``[n, H, W]``, maximum 1.
    """
    affinity, powered, transition = dense_transition(boundary, beta, radius)
    for _ in range(exp_times):
        transition = torch.matmul(transition, transition)
    return dense_walk_scores(cams, boundary, transition, image_size)


def irn_labels(scores: Tensor, bg_threshold: float = 0.25) -> Tensor:
    """IRN's labels from walk scores: the argmax after a constant
    background channel.

    Args:
        scores (Tensor): Scores ``[n, H, W]``.
        bg_threshold (float): The background channel's constant score
            (IRN's ``sem_seg_bg_thres``). Default: 0.25.

    Returns:
        Tensor: ``[H, W]`` indices: 0 for background, ``i + 1`` for
        channel ``i`` of ``scores``.
    """
    return torch.argmax(
        F.pad(scores, (0, 0, 0, 0, 1, 0), value=bg_threshold), dim=0)
