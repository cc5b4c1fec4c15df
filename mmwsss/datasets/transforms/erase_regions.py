import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from mmwsss.utils import load_label_png
from mmwsss.utils.errors import InputValueError


@TRANSFORMS.register_module()
class EraseRegions(BaseTransform):
    """Erase the object regions mined by earlier classifiers from an image.

    Reads ``<erase_dir>/<img_id>.png``, a 0/1 map at the image's original
    size, and fills its pixels of value 1 with the mean pixel, so that the
    next classifier has to find other evidence of the labelled classes. An
    image without a mask file is left as it is (nothing mined yet), and so is
    every image when ``erase_dir`` is ``None``: a config can carry the
    transform and the adversarial-erasing driver sets the folder per round.

    Place it right after ``LoadImageFromFile``, before any geometric
    transform, so that the mask is applied at the size it was mined at and
    resize, flip and crop move the erased pixels with the image.

    From "Object Region Mining with Adversarial Erasing: A Simple
    Classification to Semantic Segmentation Approach" (Wei et al., CVPR
    2017), where erased pixels are set to the mean pixel value of the
    training images.

    Required keys: ``img``, ``img_id`` (else the stem of ``img_path``).
    Modified keys: ``img``.

    Args:
        erase_dir (str, optional): Folder of the masks; ``None`` erases
            nothing.
        fill (Sequence[float]): Fill value per channel, in the image's
            channel order (BGR after ``LoadImageFromFile``); default the
            ImageNet mean the data preprocessor subtracts, so that erased
            pixels are 0 after normalisation.
        mask_suffix (str): File name suffix of a mask.
    """

    def __init__(self,
                 erase_dir: Optional[str] = None,
                 fill: Sequence[float] = (103.53, 116.28, 123.675),
                 mask_suffix: str = '.png') -> None:
        self.erase_dir = erase_dir
        self.fill = tuple(float(v) for v in fill)
        self.mask_suffix = mask_suffix

    def mask_path(self, results: dict) -> str:
        """The mask file of the image in ``results``."""
        img_id = results.get('img_id')
        if img_id is None:
            img_id = osp.splitext(osp.basename(results['img_path']))[0]
        return osp.join(self.erase_dir, img_id + self.mask_suffix)

    def transform(self, results: dict) -> dict:
        if self.erase_dir is None:
            return results
        path = self.mask_path(results)
        if not osp.isfile(path):
            return results
        img = results['img']
        mask = load_label_png(path)
        if mask.shape != img.shape[:2]:
            raise InputValueError(
                f'{path}: the erase mask is {mask.shape} but the '
                f'image is {img.shape[:2]}; masks are mined at '
                'the original size, so EraseRegions must come '
                'before any resize or crop')
        if mask.max(initial=0) > 1:
            raise InputValueError(
                f'{path}: an erase mask holds 0 and 1, found '
                f'values up to {mask.max()}')
        fill = np.asarray(self.fill, dtype=np.float64)
        if len(fill) not in (1, img.shape[2] if img.ndim == 3 else 1):
            raise InputValueError(
                f'fill has {len(fill)} values for an image of '
                f'{img.shape[2] if img.ndim == 3 else 1} '
                'channels')
        if np.issubdtype(img.dtype, np.integer):
            # The nearest integer, not truncation: erased pixels must land
            # as close to the preprocessor's mean as the dtype allows.
            fill = np.round(fill)
        img = img.copy()
        img[mask.astype(bool)] = fill.astype(img.dtype)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(erase_dir={self.erase_dir!r}, '
                f'fill={self.fill}, mask_suffix={self.mask_suffix!r})')
