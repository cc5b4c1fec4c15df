import random
from numbers import Real
from typing import Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmseg.registry import TRANSFORMS

from mmwsss.utils.errors import InputValueError


@TRANSFORMS.register_module()
class IRNRandomCrop(BaseTransform):
    """Crop a random window of exactly ``crop_size``, placing an image that
    is smaller than the crop at a random offset inside the canvas, as IRN's
    ``imutils.random_crop``.

    Along each axis independently: if the image is longer than the crop, a
    window starts at a random offset in the image and fills the canvas; if
    it is shorter or equal, the whole image is pasted at a random offset in
    the canvas. mmseg's ``RandomCrop`` instead returns a short image as it
    is, and the data preprocessor pads it at the bottom and right. The
    offsets are drawn with Python's ``random`` (which mmengine seeds in
    every worker) in IRN's order, the width's first: ``randrange(space + 1)``
    over the spare length, also when it is 0. With equal seeds the crop
    equals IRN's.

    IRN crops the normalised image and fills it with 0. mmseg normalises
    later, in the data preprocessor, as ``(x - mean) / std``; so the canvas
    is filled with ``img_pad_val`` set to that ``mean`` (in the channel
    order of the loaded image), which the preprocessor maps to exactly 0.
    Since the mean is not an integer, the image becomes float32 (an integer
    pixel is exact in float32, and the preprocessor casts to float32
    anyway). The segmentation maps (``seg_fields``) are filled with
    ``seg_pad_val``, IRN's 255 (unsure), which the boundary loss ignores.

    From "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations" (Ahn, Cho & Kwak, CVPR 2019), whose boundary
    network trains on 512 crops (``step/train_irn.py``).

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``,
    ``seg_fields`` entries (e.g. ``gt_seg_map``). Added key: ``img_box``,
    ``(top, bottom, left, right)`` of the image inside the crop.

    Args:
        crop_size (int | Sequence[int]): Output size, ``(h, w)`` or one int
            for a square (IRN: 512).
        img_pad_val (float | Sequence[float]): Raw image value outside the
            image, one per channel or one for all. To reproduce IRN, the
            data preprocessor's ``mean`` in the loaded channel order: mmcv
            loads BGR, so with ``bgr_to_rgb=True`` the RGB mean reversed.
            Default: 0.
        seg_pad_val (int): Segmentation-map value outside the image.
            Default: 255.
    """

    def __init__(self,
                 crop_size: Union[int, Sequence[int]],
                 img_pad_val: Union[float, Sequence[float]] = 0.,
                 seg_pad_val: int = 255) -> None:
        if isinstance(crop_size, int):
            crop_size = (crop_size, crop_size)
        if (len(crop_size) != 2
                or not all(isinstance(s, int) and s > 0 for s in crop_size)):
            raise InputValueError('crop_size must be a positive int or '
                                  f'(h, w) of positive ints, got {crop_size}')
        if isinstance(img_pad_val, Real):
            img_pad_val = (img_pad_val, )
        if (len(img_pad_val) == 0
                or not all(isinstance(v, Real) for v in img_pad_val)):
            raise InputValueError('img_pad_val must be a number or one per '
                                  f'channel, got {img_pad_val}')
        if not isinstance(seg_pad_val, int):
            raise InputValueError(
                f'seg_pad_val must be an int, got {seg_pad_val!r}')
        self.crop_size = (crop_size[0], crop_size[1])
        self.img_pad_val = tuple(float(v) for v in img_pad_val)
        self.seg_pad_val = seg_pad_val

    @staticmethod
    def _axis_offsets(size: int, crop: int) -> Tuple[int, int]:
        """``(canvas offset, image offset)`` along one axis."""
        space = size - crop
        if space > 0:
            return 0, random.randrange(space + 1)
        return random.randrange(-space + 1), 0

    @cache_randomness
    def _random_offsets(self, height: int,
                        width: int) -> Tuple[int, int, int, int]:
        """``(canvas top, canvas left, image top, image left)``."""
        # IRN's get_random_crop_box draws the width's offset first.
        canvas_left, img_left = self._axis_offsets(width, self.crop_size[1])
        canvas_top, img_top = self._axis_offsets(height, self.crop_size[0])
        return canvas_top, canvas_left, img_top, img_left

    def _paste(self, array: np.ndarray, fill: Union[np.ndarray, int],
               offsets: Tuple[int, int, int, int],
               dtype: np.dtype) -> np.ndarray:
        crop_h, crop_w = self.crop_size
        canvas_top, canvas_left, img_top, img_left = offsets
        h, w = min(crop_h, array.shape[0]), min(crop_w, array.shape[1])
        canvas = np.empty((crop_h, crop_w) + array.shape[2:], dtype=dtype)
        canvas[...] = fill
        canvas[canvas_top:canvas_top + h, canvas_left:canvas_left + w] = \
            array[img_top:img_top + h, img_left:img_left + w]
        return canvas

    def transform(self, results: dict) -> dict:
        img = results['img']
        channels = img.shape[2] if img.ndim == 3 else 1
        if len(self.img_pad_val) not in (1, channels):
            raise InputValueError(
                f'img_pad_val has {len(self.img_pad_val)} values for an '
                f'image of {channels} channels')
        offsets = self._random_offsets(*img.shape[:2])
        # The raw fill (a float mean) needs a float image; float images
        # keep their precision.
        dtype = img.dtype if np.issubdtype(img.dtype,
                                           np.floating) else np.float32
        fill = np.asarray(self.img_pad_val, dtype=dtype)
        if img.ndim == 2:
            fill = fill[0]
        results['img'] = self._paste(img, fill, offsets, dtype)
        results['img_shape'] = self.crop_size
        # Where the image lies in the crop (ToCo's ``img_box``).
        canvas_top, canvas_left = offsets[:2]
        results['img_box'] = (
            canvas_top, canvas_top + min(self.crop_size[0], img.shape[0]),
            canvas_left, canvas_left + min(self.crop_size[1], img.shape[1]))
        for key in results.get('seg_fields', []):
            results[key] = self._paste(results[key], self.seg_pad_val,
                                       offsets, results[key].dtype)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_size={self.crop_size}, '
                f'img_pad_val={self.img_pad_val}, '
                f'seg_pad_val={self.seg_pad_val})')
