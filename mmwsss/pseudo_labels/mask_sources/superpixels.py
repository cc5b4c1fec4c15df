"""Superpixels as mask proposals, where no SAM weights exist."""
from typing import Optional, Sequence

import numpy as np

from mmwsss.utils.errors import InputKeyError, InputValueError
from .registry import MASK_SOURCES

#: scikit-image's segmentations and their settings.
METHODS = ('felzenszwalb', 'slic', 'quickshift')


@MASK_SOURCES.register_module()
class SuperpixelMasks:
    """Superpixels of scikit-image as class-agnostic masks.

    Each level is one segmentation of the image into regions (one mask per
    region, the masks of a level do not overlap); several levels give
    nested proposals of several sizes, as SAM's masks of parts and whole
    objects overlap.

    Args:
        method (str): ``'felzenszwalb'`` (Felzenszwalb & Huttenlocher, IJCV
            2004), ``'slic'`` (Achanta et al., TPAMI 2012) or
            ``'quickshift'``.
        levels (Sequence[dict]): Keyword arguments of the method, one dict
            per segmentation (e.g. ``[dict(scale=100, sigma=0.8,
            min_size=20)]`` for Felzenszwalb's).
    """

    def __init__(self,
                 method: str = 'felzenszwalb',
                 levels: Optional[Sequence[dict]] = None) -> None:
        if method not in METHODS:
            raise InputKeyError(f'SuperpixelMasks: method must be one of '
                                f'{list(METHODS)}, got {method!r}')
        self.method = method
        self.levels = [dict(level) for level in (levels or [{}])]
        if not self.levels:
            raise InputValueError('SuperpixelMasks: levels is empty')
        import skimage.segmentation as segmentation
        self._segment = getattr(segmentation, method)
        for level in self.levels:
            try:
                self._segment(np.zeros((8, 8, 3), np.uint8), **level)
            except TypeError as error:
                raise InputKeyError(
                    f'SuperpixelMasks: bad {method} settings {level}: '
                    f'{error}') from None

    def settings(self) -> dict:
        """What the masks depend on, for the cache's manifest."""
        import skimage
        return dict(type=type(self).__name__, method=self.method,
                    levels=self.levels, version=skimage.__version__)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """Masks ``[M, H, W]`` bool of an ``[H, W, 3]`` uint8 RGB image."""
        masks = []
        for level in self.levels:
            regions = self._segment(image, **level)
            ids = np.unique(regions)
            masks.append(regions[None] == ids[:, None, None])
        return np.concatenate(masks)
