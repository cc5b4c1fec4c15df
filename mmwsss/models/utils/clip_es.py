"""The maths of CLIP-ES (Lin et al., "CLIP is Also an Efficient Segmenter:
A Text-Driven Approach for Weakly Supervised Semantic Segmentation",
CVPR 2023): the text features, the Grad-CAMs of the last block, the
class-aware attention affinity (CAA) and its box mask. WeCLIP (CVPR 2024)
makes its online CAMs with the same functions."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .cam_inference import normalize_maps


def encode_prompts(text_encoder: nn.Module, tokens: Tensor) -> Tensor:
    """CLIP-ES's ``zeroshot_classifier``: the L2-normalised text features
    of every prompt, averaged over the templates and normalised again.

    Args:
        text_encoder (nn.Module): mmseg's ``CLIPTextEncoder``.
        tokens (Tensor): ``[T, N, 77]`` tokens of ``T`` templates of ``N``
            names.

    Returns:
        Tensor: ``[N, D]``.
    """
    per_template = torch.stack([
        F.normalize(text_encoder.encode_text(t), dim=-1) for t in tokens
    ])
    return F.normalize(per_template.mean(0), dim=-1)


def last_block_scores(backbone: nn.Module, tokens: Tensor,
                      labels: Sequence[Tensor], class_features: Tensor,
                      background_features: Tensor,
                      logit_scale: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The last block of :class:`CLIPVisionTransformer` on ``tokens``: its
    input norm's output (the Grad-CAM target), its attention map, and each
    image's softmax probabilities of its classes over its classes and the
    background names, concatenated (the image feature is the projected
    mean of the patch tokens after ``ln_post``)."""
    layer = backbone.layers[-1]
    x, weights, activation = backbone.block_with_attention(layer, tokens)
    image_features = F.normalize(backbone.project(x[:, 1:]).mean(1), dim=-1)
    scores = []
    for feature, keys in zip(image_features, labels):
        texts = torch.cat([class_features[keys], background_features])
        probs = (logit_scale * feature @ texts.T).softmax(-1)
        scores.append(probs[:len(keys)])
    return activation, weights, torch.cat(scores)


def last_block_grad_cams(backbone: nn.Module,
                         tokens: Tensor,
                         hw_shape: Tuple[int, int],
                         labels: Sequence[Tensor],
                         class_features: Tensor,
                         background_features: Tensor,
                         logit_scale: Tensor,
                         classes_per_backward: Optional[int] = None
                         ) -> Tuple[List[Tensor], Tensor]:
    """CLIP-ES's Grad-CAMs at the input norm of the last block.

    The gradients of all classes of all images come from batched backward
    passes of the last block (``classes_per_backward`` classes each; None:
    all at once) through ``torch.autograd.grad``, so no parameter's
    ``.grad`` is written.

    Args:
        backbone (nn.Module): :class:`CLIPVisionTransformer`.
        tokens (Tensor): ``[B, 1 + h * w, C]`` tokens entering the last
            block.
        hw_shape (tuple): The patch grid ``(h, w)``.
        labels (Sequence[Tensor]): 0-based foreground classes per image.
        class_features (Tensor): ``[K, D]`` normalised text features.
        background_features (Tensor): ``[M, D]``.
        logit_scale (Tensor): CLIP's ``exp(logit_scale)``.
        classes_per_backward (int, optional): Classes per backward pass.

    Returns:
        tuple: Per image, the Grad-CAMs ``[K_b, h, w]`` (ReLU'd and min-max
        normalised twice, as pytorch-grad-cam does), and the last block's
        attention ``[B, L, L]``, both detached.
    """
    height, width = hw_shape
    tokens = tokens.detach()
    total = sum(len(keys) for keys in labels)
    chunk = classes_per_backward or max(total, 1)
    grads = []
    # One backward of the last block for every class of every image
    # (``classes_per_backward`` None); CLIP-ES's loop reruns the block
    # and backward once per class (1), which bounds the memory.
    for start in range(0, total, chunk):
        with torch.enable_grad():
            inputs = tokens.requires_grad_()
            activation, weights, scores = last_block_scores(
                backbone, inputs, labels, class_features,
                background_features, logit_scale)
            rows = torch.eye(
                total, device=scores.device,
                dtype=scores.dtype)[start:start + chunk]
            grad, = torch.autograd.grad(
                scores, activation, grad_outputs=rows,
                is_grads_batched=True)
        grads.append(grad)
    if not total:
        with torch.no_grad():
            activation, weights, _ = last_block_scores(
                backbone, tokens, labels, class_features,
                background_features, logit_scale)
    grads = torch.cat(grads) if grads else None
    cams, start = [], 0
    activation = activation.detach()[:, 1:]
    for index, keys in enumerate(labels):
        end = start + len(keys)
        if len(keys):
            grad = grads[start:end, index, 1:]  # [K_b, n, C]
            maps = torch.einsum('kc,nc->kn', grad.mean(1),
                                activation[index]).relu()
            # pytorch-grad-cam's scale_cam_image, twice as CLIP-ES.
            maps = maps.reshape(-1, height, width)
            maps = normalize_maps(normalize_maps(maps, 'minmax'), 'minmax')
        else:
            maps = activation.new_zeros((0, height, width))
        cams.append(maps)
        start = end
    return cams, weights.detach()


def transition_matrix(affinity: Tensor,
                      iterations: int = 3,
                      power: int = 2) -> Tensor:
    """CLIP-ES's ``compute_trans_mat`` of an affinity ``[..., n, n]``:
    ``iterations`` rounds of column then row normalisation (a
    Sinkhorn-like balancing), the symmetric part ``(T + T^T) / 2``, and its
    ``power``-th matrix power; float32."""
    affinity = affinity.float()
    for _ in range(iterations):
        affinity = affinity / affinity.sum(dim=-2, keepdim=True)
        affinity = affinity / affinity.sum(dim=-1, keepdim=True)
    affinity = (affinity + affinity.transpose(-1, -2)) / 2
    result = affinity
    for _ in range(power - 1):
        result = result @ affinity
    return result


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
    return transition_matrix(affinity, iterations, power)


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
