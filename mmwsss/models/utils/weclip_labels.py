"""WeCLIP's online labels and its affinity loss (Zhang et al., "Frozen
CLIP: A Strong Backbone for Weakly Supervised Semantic Segmentation", CVPR
2024; official code ``clip/clip_tool.py``, ``utils/camutils.py``,
``utils/losses.py``): the refinement module (RFM) that corrects CLIP's
attention affinity with the decoder's, the pseudo-label rule, and the
affinity labels and loss that train the decoder's affinity."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .clip_es import attention_affinity, transition_matrix


def refined_affinity(clip_attention: Sequence[Tensor],
                     decoder_affinity: Tensor) -> Tensor:
    """The RFM's affinity of one image, before :func:`transition_matrix`.

    Each of CLIP's attention maps ``A_l`` (patch part) whose summed
    difference to the decoder's affinity ``S``, ``sum(S - A_l)`` (signed,
    not absolute, as the official code), is at most the mean over the maps
    is kept; the kept maps are averaged (``/ (count + 1e-5)``) and
    multiplied element-wise by ``S``.

    Args:
        clip_attention (Sequence[Tensor]): The head-averaged attention
            maps ``[1 + n, 1 + n]`` of CLIP's last blocks (official: 6 on
            VOC, 10 on COCO).
        decoder_affinity (Tensor): ``[n, n]``, the decoder's
            ``sigmoid(F^T F)``.

    Returns:
        Tensor: ``[n, n]`` float32, detached.
    """
    affinity = decoder_affinity.detach().float()
    maps = torch.stack([a[1:, 1:] for a in clip_attention]).float().detach()
    diff = (affinity[None] - maps).flatten(1).sum(1)
    keep = (diff <= diff.mean()).float()
    mean = (keep[:, None, None] * maps).sum(0) / (keep.sum() + 1e-5)
    return mean * affinity


def online_affinity(clip_attention: Sequence[Tensor],
                    decoder_affinity: Tensor,
                    use_rfm: bool,
                    caa_blocks: int = 8,
                    rfm_blocks: int = 6,
                    iterations: int = 3) -> Tensor:
    """WeCLIP's transition matrix ``[n, n]`` for one image: CLIP-ES's CAA
    of the last ``caa_blocks`` attention maps, or, with ``use_rfm``, the
    :func:`refined_affinity` of the last ``rfm_blocks``, each through
    ``compute_trans_mat`` (:func:`transition_matrix`).

    Args:
        clip_attention (Sequence[Tensor]): Every block's attention map
            ``[1 + n, 1 + n]`` the caller has, oldest first; only the last
            ``caa_blocks`` / ``rfm_blocks`` are read.
        decoder_affinity (Tensor): ``[n, n]``; read only with ``use_rfm``.
        use_rfm (bool): Whether the RFM refines the affinity.
        caa_blocks (int): Blocks averaged without RFM (8).
        rfm_blocks (int): Blocks the RFM selects from (VOC 6, COCO 10).
        iterations (int): Normalisation rounds (3).
    """
    if use_rfm:
        affinity = refined_affinity(clip_attention[-rfm_blocks:],
                                    decoder_affinity)
        return transition_matrix(affinity, iterations)
    maps = [a[None].detach() for a in clip_attention[-caa_blocks:]]
    return attention_affinity(maps, iterations)[0]


def cams_to_pseudo_label(cams: Tensor, keys: Tensor, image: Tensor,
                         par: nn.Module) -> Tensor:
    """WeCLIP's pseudo label of one image: the background score
    ``1 - max_k cam_k``, PAR on ``[bg; cams]`` (raw scores, no softmax),
    argmax, and the class ids (0 background, ``key + 1`` foreground). No
    pixel is ignored.

    Args:
        cams (Tensor): ``[K, H, W]`` CAMs in [0, 1] at the image's size.
        keys (Tensor): ``[K]`` 0-based foreground classes.
        image (Tensor): ``[3, H, W]`` the (normalised) input image; PAR's
            affinity does not change under a per-channel affine map.
        par (nn.Module): :class:`~mmwsss.models.utils.PAR` (WeCLIP: 20
            iterations, dilations 1, 2, 4, 8, 12, 24).

    Returns:
        Tensor: ``[H, W]`` int64 labels.
    """
    if not len(keys):
        return torch.zeros(cams.shape[-2:], dtype=torch.long,
                           device=cams.device)
    cams = cams.float()
    background = 1 - cams.max(dim=0, keepdim=True).values
    scores = torch.cat([background, cams])
    refined = par(image[None].float(), scores[None])[0]
    valid_keys = torch.cat([keys.new_zeros(1), keys.long() + 1])
    return valid_keys[refined.argmax(0)]


def radius_mask(height: int, width: int, radius: int,
                device=None) -> Tensor:
    """``[h * w, h * w]`` bool: the pairs of grid cells at most ``radius``
    apart along both axes (AFA / WeCLIP's ``get_mask_by_radius``)."""
    rows = torch.arange(height, device=device).repeat_interleave(width)
    cols = torch.arange(width, device=device).repeat(height)
    return (((rows[:, None] - rows[None]).abs() <= radius)
            & ((cols[:, None] - cols[None]).abs() <= radius))


def affinity_labels(labels: Tensor,
                    grid_size: Sequence[int],
                    radius: int = 8,
                    ignore_index: int = 255) -> Tensor:
    """Pairwise labels of the decoder's affinity (AFA / WeCLIP's
    ``cams_to_affinity_label``).

    The label map is downsampled to the feature grid by nearest neighbours;
    a pair is 1 when both cells have the same label, else 0, and
    ``ignore_index`` when the cells are more than ``radius`` apart or
    either is ``ignore_index``.

    Args:
        labels (Tensor): ``[B, H, W]`` pseudo labels.
        grid_size (Sequence[int]): The feature grid ``(h, w)`` (the
            official ``(H // 16, W // 16)``).
        radius (int): Pair radius in cells (8).
        ignore_index (int): The unsure label.

    Returns:
        Tensor: ``[B, h * w, h * w]`` int64.
    """
    small = F.interpolate(
        labels[:, None].float(), size=tuple(grid_size),
        mode='nearest').flatten(1)
    pairs = (small[:, :, None] == small[:, None, :]).long()
    far = ~radius_mask(*grid_size, radius, device=labels.device)
    pairs[:, far] = ignore_index
    unsure = small == ignore_index
    pairs[unsure[:, :, None] | unsure[:, None, :]] = ignore_index
    return pairs


def affinity_loss(affinity: Tensor, labels: Tensor) -> Tensor:
    """AFA / WeCLIP's ``get_aff_loss``: ``0.5 * mean(1 - p)`` over the
    positive pairs plus ``0.5 * mean(p)`` over the negative ones, each
    count plus 1.

    Args:
        affinity (Tensor): ``[B, n, n]`` affinities in [0, 1].
        labels (Tensor): ``[B, n, n]`` from :func:`affinity_labels`.
    """
    positive = (labels == 1).to(affinity.dtype)
    negative = (labels == 0).to(affinity.dtype)
    positive_loss = (positive * (1 - affinity)).sum() / (positive.sum() + 1)
    negative_loss = (negative * affinity).sum() / (negative.sum() + 1)
    return 0.5 * positive_loss + 0.5 * negative_loss
