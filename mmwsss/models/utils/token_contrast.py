"""ToCo's online labels, region masks and local crops (``utils/camutils.py``
of Ru et al., "Token Contrast for Weakly-Supervised Semantic Segmentation",
CVPR 2023), on batches of tensors."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .par import PAR


def box_mask(boxes: Tensor, size: Sequence[int],
             image_size: Optional[Sequence[int]] = None) -> Tensor:
    """``[B, h, w]`` bool: inside each crop's image box.

    Args:
        boxes (Tensor): ``[B, 4]`` ``(top, bottom, left, right)`` in pixels
            of an ``image_size`` crop.
        size (Sequence[int]): ``(h, w)`` of the mask.
        image_size (Sequence[int], optional): The crop's size, when the
            mask is on a coarser grid (the box is scaled to it, rounding
            outwards); default ``size``.
    """
    h, w = size
    image_h, image_w = image_size or size
    rows = torch.arange(h, device=boxes.device)[None, :, None]
    cols = torch.arange(w, device=boxes.device)[None, None, :]
    top = torch.div(boxes[:, 0] * h, image_h, rounding_mode='floor')
    bottom = -torch.div(-boxes[:, 1] * h, image_h, rounding_mode='floor')
    left = torch.div(boxes[:, 2] * w, image_w, rounding_mode='floor')
    right = -torch.div(-boxes[:, 3] * w, image_w, rounding_mode='floor')
    return ((rows >= top[:, None, None]) & (rows < bottom[:, None, None]) &
            (cols >= left[:, None, None]) & (cols < right[:, None, None]))


def cams_to_labels(cams: Tensor,
                   image_labels: Tensor,
                   high_threshold: float,
                   low_threshold: float,
                   inside: Optional[Tensor] = None,
                   ignore_index: int = 255) -> Tuple[Tensor, Tensor]:
    """ToCo's ``cam_to_label`` with ``ignore_mid``: a class where its CAM
    is above ``high_threshold``, background at or below ``low_threshold``,
    unsure between and outside the crop's image.

    Args:
        cams (Tensor): ``[B, K, h, w]`` CAMs in [0, 1].
        image_labels (Tensor): ``[B, K]`` multi-hot labels.
        high_threshold (float): Confident foreground above it.
        low_threshold (float): Confident background at or below it.
        inside (Tensor, optional): ``[B, h, w]`` bool, the crop's image.
        ignore_index (int): Unsure.

    Returns:
        tuple: The CAMs of the image's classes (others zeroed) and the
        ``[B, h, w]`` int64 labels (0 background, ``k + 1`` class k).
    """
    valid = cams * image_labels[:, :, None, None]
    score, index = valid.max(dim=1)
    labels = index + 1
    labels[score <= high_threshold] = ignore_index
    labels[score <= low_threshold] = 0
    if inside is not None:
        labels[~inside] = ignore_index
    return valid, labels


def region_mask(cams: Tensor, image_labels: Tensor, high_threshold: float,
                low_threshold: float) -> Tensor:
    """ToCo's ``cam_to_roi_mask2``: 0 confident background (at or below
    ``low_threshold``), 2 confident foreground (at or above
    ``high_threshold``), 1 uncertain; ``[B, h, w]`` int16."""
    score = (cams * image_labels[:, :, None, None]).max(dim=1).values
    mask = torch.ones_like(score, dtype=torch.int16)
    mask[score <= low_threshold] = 0
    mask[score >= high_threshold] = 2
    return mask


def crop_uncertain_regions(images: Tensor,
                           regions: Tensor,
                           num_crops: int = 8,
                           crop_size: int = 96,
                           negative_ratio: float = 0.2
                           ) -> Tuple[List[Tensor], Tensor]:
    """ToCo's ``crop_from_roi_neg``: local crops for class token contrast.

    Each image's crops have their top-left corner drawn without
    replacement (``torch.randperm``, as the official code, so equal seeds
    give equal crops) among the positions of the inner region whose mask
    is not confident foreground (all positions when too few are). A crop
    whose mask (0/1/2) sums to at most ``negative_ratio`` of its area is a
    negative.

    Args:
        images (Tensor): ``[B, C, H, W]`` the local view.
        regions (Tensor): ``[B, H, W]`` :func:`region_mask`.
        num_crops (int): Local crops per image (ToCo: 8).
        crop_size (int): Their side (ToCo: 96).
        negative_ratio (float): ToCo: 0.2.

    Returns:
        tuple: ``num_crops`` tensors ``[B, C, s, s]`` and flags
        ``[B, num_crops + 2]`` (the two global views first, always 1).
    """
    b, c, h, w = images.shape
    margin = crop_size // 2
    crops = images.new_zeros((b, num_crops, c, crop_size, crop_size))
    flags = images.new_ones((b, num_crops + 2))
    for i in range(b):
        inner = regions[i, margin:h - margin, margin:w - margin]
        candidates = (inner <= 1).nonzero()
        if candidates.shape[0] < num_crops:
            candidates = (inner >= 0).nonzero()
        order = torch.randperm(candidates.shape[0])
        corners = candidates[order[:num_crops]].tolist()
        for j, (top, left) in enumerate(corners):
            crops[i, j] = images[i, :, top:top + crop_size,
                                 left:left + crop_size]
            window = regions[i, top:top + crop_size, left:left + crop_size]
            if window.sum() / (crop_size * crop_size) <= negative_ratio:
                flags[i, j + 2] = 0
    return list(crops.unbind(dim=1)), flags


def affinity_from_labels(labels: Tensor, ignore_index: int = 255) -> Tensor:
    """ToCo's ``label_to_aff_mask``: ``[B, hw, hw]`` pair labels from
    ``[B, h, w]`` labels: 1 same label, 0 different, ``ignore_index`` where
    either pixel is unsure and on the diagonal."""
    flat = labels.flatten(1)
    pairs = (flat[:, :, None] == flat[:, None, :]).long()
    unsure = flat == ignore_index
    pairs[unsure[:, :, None] | unsure[:, None, :]] = ignore_index
    pairs.diagonal(dim1=1, dim2=2).fill_(ignore_index)
    return pairs


def refine_labels_with_background(par: PAR,
                                  images: Tensor,
                                  cams: Tensor,
                                  image_labels: Tensor,
                                  high_threshold: float,
                                  low_threshold: float,
                                  inside: Optional[Tensor] = None,
                                  down_scale: int = 2,
                                  ignore_index: int = 255) -> Tensor:
    """ToCo's online pseudo labels (``refine_cams_with_bkg_v2``).

    A constant background is put before the CAMs once at ``high_threshold``
    and once at ``low_threshold``; for each image, the background and its
    classes are downscaled, softmaxed, refined by PAR on the downscaled
    image, upscaled and argmaxed. The foreground is the high pass's;
    background needs both passes; the rest, and everything outside the
    crop's image, is unsure.

    Args:
        par (PAR): The refinement.
        images (Tensor): ``[B, 3, H, W]`` RGB in [0, 1].
        cams (Tensor): ``[B, K, H, W]`` CAMs in [0, 1].
        image_labels (Tensor): ``[B, K]`` multi-hot labels.
        high_threshold (float): Background of the foreground pass.
        low_threshold (float): Background of the background pass.
        inside (Tensor, optional): ``[B, H, W]`` bool, the crop's image.
        down_scale (int): PAR runs at ``1 / down_scale`` (ToCo: 2).
        ignore_index (int): Unsure.

    Returns:
        Tensor: ``[B, H, W]`` int64 labels.
    """
    b, _, h, w = images.shape
    size = (h // down_scale, w // down_scale)
    small = F.interpolate(
        images, size=size, mode='bilinear', align_corners=False)
    passes = []
    for threshold in (high_threshold, low_threshold):
        scores = torch.cat([cams.new_full((b, 1, h, w), threshold), cams],
                           dim=1)
        passes.append(
            F.interpolate(
                scores, size=size, mode='bilinear', align_corners=False))
    keys = torch.cat([image_labels.new_ones((b, 1)), image_labels], dim=1)
    high = torch.full((b, h, w), ignore_index, dtype=torch.long,
                      device=cams.device)
    low = high.clone()
    for i in range(b):
        valid = torch.nonzero(keys[i]).flatten()
        for scores, out in zip(passes, (high, low)):
            refined = par(small[i:i + 1], scores[i:i + 1, valid].softmax(1))
            refined = F.interpolate(
                refined, size=(h, w), mode='bilinear', align_corners=False)
            out[i] = valid[refined[0].argmax(dim=0)]
    if inside is not None:
        high[~inside] = ignore_index
        low[~inside] = ignore_index
    labels = high.clone()
    labels[high == 0] = ignore_index
    labels[(high + low) == 0] = 0
    return labels
