"""The maths of CLIP-ES (Lin et al., "CLIP is Also an Efficient Segmenter:
A Text-Driven Approach for Weakly Supervised Semantic Segmentation",
CVPR 2023): the class-aware attention affinity (CAA) and its box mask."""
from typing import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from .cam_inference import normalize_maps


def attention_affinity(attention: Sequence[Tensor],
                       iterations: int = 3,
                       power: int = 2) -> Tensor:
    """CLIP-ES's affinity of patch tokens from attention maps.

    The head-averaged attention maps ``[B, 1 + n, 1 + n]`` are stripped of
    the class token's row and column and averaged; then ``iterations``
    rounds of column then row normalisation (a Sinkhorn-like balancing),
    the symmetric part ``(T + T^T) / 2``, and its ``power``-th matrix power.

    Args:
        attention (Sequence[Tensor]): The maps of the blocks to average.
        iterations (int): Column-row normalisation rounds (CLIP-ES: 3).
        power (int): Matrix power of the symmetric part (CLIP-ES: 2).

    Returns:
        Tensor: ``[B, n, n]`` float32.
    """
    affinity = torch.stack([a[:, 1:, 1:] for a in attention]).mean(0)
    affinity = affinity.float()
    for _ in range(iterations):
        affinity = affinity / affinity.sum(dim=-2, keepdim=True)
        affinity = affinity / affinity.sum(dim=-1, keepdim=True)
    affinity = (affinity + affinity.transpose(-1, -2)) / 2
    result = affinity
    for _ in range(power - 1):
        result = result @ affinity
    return result


def box_mask(cam: np.ndarray, threshold: float) -> np.ndarray:
    """CLIP-ES's ``scoremap2bbox`` mask of a patch-grid CAM in [0, 1]: the
    union of the bounding boxes of every contour (``RETR_TREE``) of
    ``uint8(255 * cam) > int(threshold * max)``.

    As in CLIP-ES, a box's right and bottom ends are exclusive and clipped
    to ``width - 1`` / ``height - 1``, so no box covers the last column or
    row; a map with no contour gives an empty mask (the refined CAM is
    then 0).

    Returns:
        np.ndarray: ``[h, w]`` bool.
    """
    height, width = cam.shape
    scores = (cam * 255).astype(np.uint8)
    _, binary = cv2.threshold(scores, int(threshold * scores.max()), 255,
                              cv2.THRESH_BINARY)
    contours = cv2.findContours(binary, cv2.RETR_TREE,
                                cv2.CHAIN_APPROX_SIMPLE)[-2]
    mask = np.zeros((height, width), dtype=bool)
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        x1, y1 = min(x + w, width - 1), min(y + h, height - 1)
        mask[y:y1, x:x1] = True
    return mask


def refine_with_affinity(cams: Tensor, affinity: Tensor,
                         threshold: float) -> Tensor:
    """CAA: propagate each class's CAM through the affinity from the
    patches inside its boxes, then min-max normalise.

    ``refined[i] = sum_j T[i, j] * box[j] * cam[j]``: only source patches
    in the class's boxes (:func:`box_mask` at ``threshold``) spread; every
    target patch receives.

    Args:
        cams (Tensor): ``[K, h, w]`` patch-grid CAMs in [0, 1].
        affinity (Tensor): ``[h * w, h * w]`` from
            :func:`attention_affinity`.
        threshold (float): Box threshold (CLIP-ES: VOC 0.4, COCO 0.7).

    Returns:
        Tensor: ``[K, h, w]`` refined CAMs.
    """
    num, height, width = cams.shape
    masks = np.stack([
        box_mask(cam, threshold) for cam in cams.float().cpu().numpy()
    ]) if num else np.zeros((0, height, width), dtype=bool)
    masks = torch.from_numpy(masks).to(cams.device).flatten(1)
    flat = cams.float().flatten(1)
    # (T * mask_k[None, :]) @ cam_k for every class k at once.
    refined = (flat * masks) @ affinity.T
    return normalize_maps(refined.reshape(num, height, width), 'minmax')
