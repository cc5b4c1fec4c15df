"""The second global view of ToCo's class token contrast."""
import random
from typing import Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS
from PIL import Image, ImageFilter, ImageOps
from torchvision import transforms as T


#: DINO's (and ToCo's) colour jitter, applied with probability 0.8.
COLOUR_JITTER = dict(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)


def flip_and_colour_jitter(jitter: Optional[dict] = None,
                           jitter_prob: float = 0.8,
                           grayscale_prob: float = 0.2) -> T.Compose:
    """DINO's (and ToCo's) flip, colour jitter and grayscale."""
    return T.Compose([
        T.RandomHorizontalFlip(p=0.5),
        T.RandomApply([T.ColorJitter(**(jitter or COLOUR_JITTER))],
                      p=jitter_prob),
        T.RandomGrayscale(p=grayscale_prob),
    ])


def gaussian_blur(image: Image.Image, prob: float,
                  radius: Sequence[float] = (0.1, 2.0)) -> Image.Image:
    """DINO's Gaussian blur: with probability ``prob`` a radius drawn
    uniformly from ``radius`` (Python's ``random``, as DINO)."""
    if random.random() > prob:
        return image
    return image.filter(
        ImageFilter.GaussianBlur(radius=random.uniform(*radius)))


def to_pil(image: np.ndarray, bgr: bool) -> Image.Image:
    """An RGB PIL image of a loaded ``[H, W, 3]`` array."""
    image = np.clip(image, 0, 255).astype(np.uint8)
    return Image.fromarray(image[..., ::-1] if bgr else image)


def from_pil(image: Image.Image, bgr: bool) -> np.ndarray:
    """Back to a ``[H, W, 3]`` uint8 array in the loaded channel order."""
    array = np.asarray(image.convert('RGB'))
    return np.ascontiguousarray(array[..., ::-1] if bgr else array)


@TRANSFORMS.register_module()
class TokenContrastGlobalView(BaseTransform):
    """ToCo's second global view (Ru et al., CVPR 2023,
    ``datasets/voc.py`` ``global_view2``; DINO's, Caron et al., ICCV 2021):
    a random resized crop of the whole loaded image (before any rescaling),
    flip, colour jitter, grayscale, Gaussian blur and solarisation.

    Put it right after ``LoadImageFromFile``; ToCo's class token contrast
    takes it as ``global_view`` (pack it with ``PackWSSSInputs(view_keys=
    ('global_view', 'local_view'))``).

    Required keys: ``img``. Added keys: ``global_view`` (``[size, size,
    3]`` uint8, the loaded channel order).

    Args:
        size (int): Side of the view (ToCo: its crop, 448).
        scale (Sequence[float]): Area range of the crop (0.4, 1).
        blur_prob (float): Probability of the blur (0.1).
        blur_radius (Sequence[float]): Range of its radius ((0.1, 2.0)).
        solarize_prob (float): Probability of solarisation (0.2).
        jitter (dict, optional): ``ColorJitter``'s arguments (default
            :data:`COLOUR_JITTER`).
        jitter_prob (float): Probability of the jitter (0.8).
        grayscale_prob (float): Probability of grayscale (0.2).
        bgr (bool): The loaded image is BGR (mmcv's default).
    """

    def __init__(self,
                 size: int = 448,
                 scale: Sequence[float] = (0.4, 1.0),
                 blur_prob: float = 0.1,
                 blur_radius: Sequence[float] = (0.1, 2.0),
                 solarize_prob: float = 0.2,
                 jitter: Optional[dict] = None,
                 jitter_prob: float = 0.8,
                 grayscale_prob: float = 0.2,
                 bgr: bool = True) -> None:
        self.crop = T.RandomResizedCrop(
            size, scale=tuple(scale),
            interpolation=T.InterpolationMode.BICUBIC)
        self.jitter = flip_and_colour_jitter(jitter, jitter_prob,
                                             grayscale_prob)
        self.blur_prob = blur_prob
        self.blur_radius = tuple(blur_radius)
        self.solarize_prob = solarize_prob
        self.bgr = bgr

    def transform(self, results: dict) -> dict:
        view = self.jitter(self.crop(to_pil(results['img'], self.bgr)))
        view = gaussian_blur(view, self.blur_prob, self.blur_radius)
        if random.random() < self.solarize_prob:
            view = ImageOps.solarize(view)
        results['global_view'] = from_pil(view, self.bgr)
        return results
