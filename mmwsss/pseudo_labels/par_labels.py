"""Pseudo labels of CAMs refined by PAR, ToCo's online label rule."""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from mmwsss.models.utils import PAR
from .labels import IGNORE_INDEX, to_class_labels

#: ToCo's ``refine_cams_with_bkg_v2`` on VOC (``high_thre`` 0.7, ``low_thre``
#: 0.25, ``down_scale`` 2) and its PAR (dilations 1..24, 10 steps).
PAR_LABEL_DEFAULTS = dict(
    high_threshold=0.7,
    low_threshold=0.25,
    down_scale=2,
    dilations=(1, 2, 4, 8, 12, 24),
    num_iter=10)


def _refined_index(par: PAR, image: torch.Tensor, cams: torch.Tensor,
                   background: float, down_scale: int) -> torch.Tensor:
    height, width = cams.shape[-2:]
    size = (height // down_scale, width // down_scale)
    scores = torch.cat([cams.new_full((1, height, width), background),
                        cams])[None]
    scores = F.interpolate(scores, size=size, mode='bilinear',
                           align_corners=False).softmax(dim=1)
    small = F.interpolate(image, size=size, mode='bilinear',
                          align_corners=False)
    refined = F.interpolate(par(small, scores), size=(height, width),
                            mode='bilinear', align_corners=False)
    return refined[0].argmax(dim=0)


def par_label(cams: np.ndarray,
              keys: Sequence[int],
              image: np.ndarray,
              high_threshold: float = 0.7,
              low_threshold: float = 0.25,
              down_scale: int = 2,
              dilations: Sequence[int] = (1, 2, 4, 8, 12, 24),
              num_iter: int = 10,
              par: Optional[PAR] = None) -> np.ndarray:
    """ToCo's online pseudo label (Ru et al., CVPR 2023,
    ``refine_cams_with_bkg_v2``) of CAMs, as a refinement of CAM files.

    A constant background score is put before the CAMs at
    ``high_threshold`` and at ``low_threshold``. Image and scores are
    downscaled by ``down_scale``, the scores softmaxed over background and
    classes, refined by :class:`~mmwsss.models.utils.PAR` on the image and
    upscaled; each pass's argmax is a label. The foreground is the high
    pass's; background needs both passes to say so; where only the high
    one does, the pixel is unsure (255).

    Args:
        cams (np.ndarray): ``[n, H, W]`` CAMs in [0, 1].
        keys (Sequence[int]): Their 0-based classes.
        image (np.ndarray): ``[H, W, 3]`` uint8 RGB image.
        high_threshold (float): Background of the confident foreground.
        low_threshold (float): Background of the confident background.
        down_scale (int): PAR runs at ``1 / down_scale`` of the image.
        dilations (Sequence[int]): PAR's neighbour distances.
        num_iter (int): PAR's steps.
        par (PAR, optional): A built PAR (default: one of these settings).

    Returns:
        np.ndarray: ``[H, W]`` uint8, 255 = unsure.
    """
    par = par or PAR(dilations, num_iter)
    with torch.no_grad():
        image = torch.from_numpy(np.ascontiguousarray(image)).permute(
            2, 0, 1)[None].float() / 255
        maps = torch.from_numpy(np.asarray(cams, dtype=np.float32))
        high = _refined_index(par, image, maps, high_threshold, down_scale)
        low = _refined_index(par, image, maps, low_threshold, down_scale)
    label = to_class_labels(high.numpy(), keys).astype(np.uint8)
    label[high.numpy() == 0] = IGNORE_INDEX
    label[(high.numpy() == 0) & (low.numpy() == 0)] = 0
    return label
