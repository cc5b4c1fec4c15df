"""Multi-scale, flip-augmented CAM inference shared by ``predict`` and
``tools/make_cams.py``, so that seed mIoU from ``tools/test.py`` and from the
CAM files agree."""
import math
from typing import Callable, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmwsss.utils.errors import InputValueError


def rescale_images(images: Tensor, scale: float) -> Tensor:
    """Bicubic rescaling of a batch ``[N, 3, H, W]`` (antialiased when
    shrinking), as CAM inference does at each scale."""
    if scale == 1.0:
        return images
    h, w = images.shape[-2:]
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(
        images,
        size=size,
        mode='bicubic',
        align_corners=False,
        antialias=scale < 1.0)


def multi_scale_cams(
    cam_fn: Callable[[Tensor], Tensor],
    images: Tensor,
    scales: Sequence[float] = (1.0, ),
    flip: bool = True,
    output_stride: int = 16,
    strided_stride: Optional[int] = None
) -> Union[Tensor, Tuple[Tensor, Tensor]]:
    """Sum of ReLU'd CAMs over scales and horizontal flips, at input size.

    Each scale's CAMs are upsampled to the input size rounded up to a
    multiple of ``output_stride`` and cropped, which keeps feature cells
    aligned with the pixels they cover (as IRN's ``strided_up_size``).
    Flipped copies ride in the same batch as the originals.

    Args:
        cam_fn (callable): Maps a normalised batch ``[B, 3, h, w]`` to raw
            CAMs ``[B, K, h', w']``.
        images (Tensor): Normalised images ``[N, 3, H, W]`` of one size.
        scales (Sequence[float]): Image scales.
        flip (bool): Also run the horizontally flipped images.
        output_stride (int): Stride of the CAMs relative to the input.
        strided_stride (int, optional): Also return the sum at IRN's
            strided size ``((H-1)//s+1, (W-1)//s+1)``, each scale's maps
            resized straight to it (IRN's ``make_cam`` ``strided_cam``).

    Returns:
        Tensor: ``[N, K, H, W]`` non-negative, not normalised; with
        ``strided_stride`` a tuple ``(full-size sum, strided sum)``.
    """
    n, _, h, w = images.shape
    up_size = (math.ceil(h / output_stride) * output_stride,
               math.ceil(w / output_stride) * output_stride)
    total = strided_total = None
    for scale in scales:
        x = rescale_images(images, scale)
        if flip:
            x = torch.cat([x, x.flip(-1)])
        cams = F.relu(cam_fn(x))
        if flip:
            cams = cams[:n] + cams[n:].flip(-1)
        if strided_stride is not None:
            strided = F.interpolate(
                cams,
                size=((h - 1) // strided_stride + 1,
                      (w - 1) // strided_stride + 1),
                mode='bilinear',
                align_corners=False)
            strided_total = strided if strided_total is None else \
                strided_total + strided
        cams = F.interpolate(
            cams, size=up_size, mode='bilinear',
            align_corners=False)[:, :, :h, :w]
        total = cams if total is None else total + cams
    if strided_stride is not None:
        return total, strided_total
    return total


def normalize_cams(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """Divide every map of ``[..., H, W]`` by its maximum (plus ``eps``)."""
    peak = cams.flatten(-2).max(dim=-1).values[..., None, None]
    return cams / (peak + eps)


def cams_to_label(cams: Union[Tensor, np.ndarray],
                  keys: Union[Tensor, np.ndarray, Sequence[int]],
                  bg_threshold: float) -> Tensor:
    """Seed label map from normalised CAMs of the present classes.

    Args:
        cams (Tensor | np.ndarray): ``[n, H, W]`` maps in [0, 1].
        keys (Sequence[int]): 0-based foreground class of each map.
        bg_threshold (float): Constant background score.

    Returns:
        Tensor: ``[H, W]`` int64 labels, 0 = background, ``k + 1`` = class k.
    """
    cams = torch.as_tensor(cams)
    keys = torch.as_tensor(keys, dtype=torch.long)
    if cams.shape[0] == 0:
        return torch.zeros(cams.shape[-2:], dtype=torch.long)
    score, index = cams.max(dim=0)
    label = keys.to(cams.device)[index] + 1
    return torch.where(score > bg_threshold, label, torch.zeros_like(label))


#: How each forward pass's maps are normalised before the multi-scale sum:
#: ``'minmax'`` as pytorch-grad-cam's ``scale_cam_image``, ``'max'`` by the
#: maximum only, ``'none'`` raw (the sum then weighs scales unequally).
GRADCAM_NORMS = ('minmax', 'max', 'none')


def normalize_maps(maps: Tensor,
                   norm: str = 'minmax',
                   eps: float = 1e-7) -> Tensor:
    """Normalise every ``[h, w]`` map of ``[..., h, w]`` on its own.

    ``'minmax'`` is pytorch-grad-cam's ``scale_cam_image`` (``m - min``,
    then divided by ``1e-7 + max``); ``'max'`` divides by ``eps + max``;
    ``'none'`` returns ``maps`` unchanged.
    """
    if norm not in GRADCAM_NORMS:
        raise InputValueError(f'Grad-CAM normalisation must be one of '
                              f'{GRADCAM_NORMS}, got {norm!r}')
    if norm == 'none':
        return maps
    flat = maps.flatten(-2)
    if norm == 'minmax':
        maps = maps - flat.min(dim=-1).values[..., None, None]
        flat = maps.flatten(-2)
    return maps / (eps + flat.max(dim=-1).values[..., None, None])
