from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmwsss.utils.errors import InputValueError


@TRANSFORMS.register_module()
class HideAndSeek(BaseTransform):
    """Hide random patches of a training image.

    The image is divided into a grid of square patches whose side is drawn
    from ``grid_sizes`` (0 disables hiding for that image); each patch is
    hidden with probability ``hide_prob`` by filling it with the dataset
    mean, so that the classifier cannot rely on one discriminative part.
    Use it in training pipelines only; labels are unchanged.

    From "Hide-and-Seek: Forcing a Network to be Meticulous for
    Weakly-supervised Object and Action Localization" (Singh & Lee, ICCV
    2017).

    Args:
        grid_sizes (Sequence[int]): Candidate patch sides in pixels.
        hide_prob (float): Probability that a patch is hidden.
        fill (Sequence[float]): Fill value per channel, in the image's
            channel order (BGR after ``LoadImageFromFile``); default the
            ImageNet mean.
    """

    def __init__(
        self,
        grid_sizes: Sequence[int] = (0, 16, 32, 44, 56),
        hide_prob: float = 0.5,
        fill: Sequence[float] = (103.53, 116.28, 123.675)
    ) -> None:
        if not grid_sizes or any(g < 0 for g in grid_sizes):
            raise InputValueError(f'grid_sizes must be non-negative, got '
                                  f'{grid_sizes}')
        if not 0 <= hide_prob <= 1:
            raise InputValueError(
                f'hide_prob must be in [0, 1], got {hide_prob}')
        self.grid_sizes = tuple(grid_sizes)
        self.hide_prob = hide_prob
        self.fill = tuple(fill)

    def hidden_patches(self, height: int, width: int, grid: int) -> np.ndarray:
        """Boolean ``[rows, cols]`` map of the patches to hide."""
        rows, cols = -(-height // grid), -(-width // grid)
        return np.random.rand(rows, cols) < self.hide_prob

    def transform(self, results: dict) -> dict:
        grid = int(np.random.choice(self.grid_sizes))
        if grid == 0:
            return results
        img = results['img'].copy()
        h, w = img.shape[:2]
        hidden = self.hidden_patches(h, w, grid)
        mask = np.kron(hidden, np.ones((grid, grid), dtype=bool))[:h, :w]
        fill = np.asarray(self.fill, dtype=np.float64)
        img[mask] = fill[:img.shape[2]].astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(grid_sizes={self.grid_sizes}, '
                f'hide_prob={self.hide_prob}, fill={self.fill})')
