"""The PASCAL VOC colour map of label PNGs."""
import numpy as np


def voc_palette(num_colors: int = 256) -> np.ndarray:
    """The PASCAL VOC colour map: index ``i`` gets the colour built from the
    bits of ``i``, so 0 is black, 1 dark red, ... and 255 (ignore) is cream.

    Returns:
        np.ndarray: ``[num_colors, 3]`` uint8 palette.
    """
    palette = np.zeros((num_colors, 3), dtype=np.uint8)
    for index in range(num_colors):
        value, r, g, b = index, 0, 0, 0
        for shift in range(7, -1, -1):
            r |= (value & 1) << shift
            g |= ((value >> 1) & 1) << shift
            b |= ((value >> 2) & 1) << shift
            value >>= 3
        palette[index] = (r, g, b)
    return palette
