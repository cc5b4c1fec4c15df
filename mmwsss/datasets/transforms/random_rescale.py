from typing import Sequence

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from mmwsss.utils.errors import InputValueError


@TRANSFORMS.register_module()
class RandomRescale(BaseTransform):
    """Rescale the image and its segmentation maps by a random factor of the
    image's own size, as IRN's ``imutils.random_scale``.

    The factor is drawn uniformly from ``scale_range``; the new size is
    ``(round(h * s), round(w * s))`` with NumPy's rounding (half to even),
    as IRN's ``pil_rescale``. Unlike mmseg's ``RandomResize``, the size is
    relative to the image, not to a fixed scale. The image is resampled
    bicubically and the maps (``seg_fields``) with nearest neighbours, by
    Pillow as in IRN.

    From "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations" (Ahn, Cho & Kwak, CVPR 2019), whose boundary
    network trains with ``scale_range=(0.5, 1.5)``.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``,
    ``seg_fields`` entries (e.g. ``gt_seg_map``). Added keys:
    ``scale_factor`` (``(w_scale, h_scale)``, composed with an earlier one),
    ``keep_ratio``.

    Args:
        scale_range (Sequence[float]): ``(low, high)`` of the factor.
        interpolation (str): Image interpolation. Default: ``'bicubic'``.
        backend (str): ``'pillow'`` (IRN's) or ``'cv2'``.
    """

    def __init__(self,
                 scale_range: Sequence[float] = (0.5, 1.5),
                 interpolation: str = 'bicubic',
                 backend: str = 'pillow') -> None:
        if len(scale_range) != 2 or not 0 < scale_range[0] <= scale_range[1]:
            raise InputValueError(
                'scale_range must be (low, high) with 0 < low '
                f'<= high, got {scale_range}')
        if backend not in ('pillow', 'cv2'):
            raise InputValueError(f"backend must be 'pillow' or 'cv2', got "
                                  f'{backend!r}')
        self.scale_range = (float(scale_range[0]), float(scale_range[1]))
        self.interpolation = interpolation
        self.backend = backend

    @cache_randomness
    def _random_factor(self) -> float:
        low, high = self.scale_range
        return low + np.random.random() * (high - low)

    def transform(self, results: dict) -> dict:
        factor = self._random_factor()
        height, width = results['img'].shape[:2]
        new_h = max(1, int(np.round(height * factor)))
        new_w = max(1, int(np.round(width * factor)))
        if (new_h, new_w) != (height, width):
            results['img'] = mmcv.imresize(
                results['img'], (new_w, new_h),
                interpolation=self.interpolation,
                backend=self.backend)
            for key in results.get('seg_fields', []):
                results[key] = mmcv.imresize(
                    results[key], (new_w, new_h),
                    interpolation='nearest',
                    backend=self.backend)
        w_scale, h_scale = new_w / width, new_h / height
        previous = results.get('scale_factor')
        if previous is not None:
            w_scale, h_scale = w_scale * previous[0], h_scale * previous[1]
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (w_scale, h_scale)
        results['keep_ratio'] = True
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale_range={self.scale_range}, '
                f'interpolation={self.interpolation!r}, '
                f'backend={self.backend!r})')
