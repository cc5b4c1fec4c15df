"""The local view and the photometric global view of ToCo's crop."""
from typing import Optional, Sequence

from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

from .token_contrast_global_view import (flip_and_colour_jitter, from_pil,
                                         gaussian_blur, to_pil)


@TRANSFORMS.register_module()
class TokenContrastLocalView(BaseTransform):
    """ToCo's views of its training crop (Ru et al., CVPR 2023,
    ``datasets/voc.py``): ``local_view``, a flipped, colour-jittered copy
    of the crop (blur with ``local_blur_prob``) from which the local crops
    of class token contrast are cut, and the crop itself replaced by its
    first global view (flip, colour jitter, grayscale, blur with
    ``global_blur_prob``), the input of every other loss.

    Put it after the crop (``IRNRandomCrop``, whose ``img_box`` marks the
    image inside the crop); the box follows this transform's flip.

    Required keys: ``img``. Modified keys: ``img``, ``img_box``. Added
    keys: ``local_view``.

    Args:
        global_blur_prob (float): ToCo: 1.0.
        local_blur_prob (float): ToCo: 0.5.
        blur_radius (Sequence[float]): Range of the blur's radius ((0.1,
            2.0)).
        jitter (dict, optional): ``ColorJitter``'s arguments (default
            ToCo's, :data:`COLOUR_JITTER`).
        jitter_prob (float): Probability of the jitter (0.8).
        grayscale_prob (float): Probability of grayscale (0.2).
        bgr (bool): The loaded image is BGR (mmcv's default).
    """

    def __init__(self,
                 global_blur_prob: float = 1.0,
                 local_blur_prob: float = 0.5,
                 blur_radius: Sequence[float] = (0.1, 2.0),
                 jitter: Optional[dict] = None,
                 jitter_prob: float = 0.8,
                 grayscale_prob: float = 0.2,
                 bgr: bool = True) -> None:
        self.jitter = flip_and_colour_jitter(jitter, jitter_prob,
                                             grayscale_prob)
        self.global_blur_prob = global_blur_prob
        self.local_blur_prob = local_blur_prob
        self.blur_radius = tuple(blur_radius)
        self.bgr = bgr

    def transform(self, results: dict) -> dict:
        crop = to_pil(results['img'], self.bgr)
        local = gaussian_blur(self.jitter(crop), self.local_blur_prob,
                              self.blur_radius)
        results['local_view'] = from_pil(local, self.bgr)
        # The global view's flip is drawn here (not inside the jitter) so
        # that the image box can follow it.
        flipped = self.jitter.transforms[0](crop)
        if flipped is not crop and 'img_box' in results:
            top, bottom, left, right = results['img_box']
            width = crop.size[0]
            results['img_box'] = (top, bottom, width - right, width - left)
        view = flipped
        for step in self.jitter.transforms[1:]:
            view = step(view)
        view = gaussian_blur(view, self.global_blur_prob, self.blur_radius)
        results['img'] = from_pil(view, self.bgr)
        return results
