"""Pixel-pair geometry shared by the affinity networks and the random walk.

Both IRN (Ahn et al., CVPR 2019) and AffinityNet / PSA (Ahn & Kwak, CVPR
2018) relate each pixel of a feature grid to the pixels within a radius.
Only one direction of each unordered pair is enumerated (the "forward"
half-disc: same row to the right, or any lower row); the reverse direction
is the same pair.
"""
from typing import List, Tuple

from mmwsss.utils.errors import InputValueError

Offset = Tuple[int, int]


def search_directions(radius: int) -> List[Offset]:
    """Forward offsets ``(dy, dx)`` with ``dy**2 + dx**2 < radius**2``.

    The order is the official one (IRN ``PathIndex.get_search_paths_dst``,
    PSA ``get_indices_of_pairs``): ``(0, 1) .. (0, radius - 1)``, then rows
    ``dy = 1 .. radius - 1`` with ``dx`` from ``-radius + 1`` upwards.

    Args:
        radius (int): Exclusive pair radius in grid cells (>= 2).

    Returns:
        list[tuple[int, int]]: The forward offsets.
    """
    if int(radius) != radius or radius < 2:
        raise InputValueError(f'radius must be an integer >= 2, got {radius}')
    radius = int(radius)
    directions = [(0, dx) for dx in range(1, radius)]
    for dy in range(1, radius):
        for dx in range(-radius + 1, radius):
            if dx * dx + dy * dy < radius * radius:
                directions.append((dy, dx))
    return directions


def path_offsets(direction: Offset) -> List[Offset]:
    """The grid cells on the straight path from ``(0, 0)`` to
    ``direction``, both ends included, as IRN's ``PathIndex``: every cell of
    the bounding box whose distance to the line is below one cell, sorted
    so that the destination comes first.

    Args:
        direction (tuple[int, int]): A forward offset ``(dy, dx)``.

    Returns:
        list[tuple[int, int]]: Offsets from the source, destination first.
    """
    dy, dx = direction
    length_sq = dy * dy + dx * dx
    if length_sq == 0:
        raise InputValueError('a path needs a non-zero direction')
    cells = []
    for y in range(min(0, dy), max(0, dy) + 1):
        for x in range(min(0, dx), max(0, dx) + 1):
            if (dy * x - dx * y)**2 / length_sq < 1:
                cells.append((y, x))
    # Stable sort as IRN's: the farthest cell (the destination) first.
    cells.sort(key=lambda c: -abs(c[0]) - abs(c[1]))
    return cells


def source_window(height: int, width: int, radius: int) -> Tuple[slice, slice]:
    """Rows and columns of the source pixels that IRN's ``PathIndex`` and
    PSA's ``get_indices_of_pairs`` pair on an unpadded ``height x width``
    grid: the last ``radius - 1`` rows and ``radius - 1`` columns on each
    side are never a source (their pairs are left out of the official
    training losses and of PSA's random walk).

    Returns:
        tuple[slice, slice]: Row and column slices of the source window.
    """
    floor = radius - 1
    return slice(0, height - floor), slice(floor, width - floor)
