"""ToCo's patch token contrast (PTC) loss."""
import torch
import torch.nn.functional as F
from torch import Tensor


def patch_token_contrast_loss(tokens: Tensor, affinity: Tensor) -> Tensor:
    """Patch token contrast (Ru et al., "Token Contrast for
    Weakly-Supervised Semantic Segmentation", CVPR 2023,
    ``get_masked_ptc_loss``).

    The absolute cosine similarity of every pair of tokens is pulled to 1
    for pairs of one pseudo class and to 0 for pairs of two, against
    over-smoothing of the final layer:
    ``0.5 (1 - mean_pos |cos|) + 0.5 mean_neg |cos|``, each mean over its
    pairs plus one (as the official code).

    Args:
        tokens (Tensor): ``[B, C, h, w]`` patch tokens.
        affinity (Tensor): ``[B, hw, hw]`` pair labels: 1 same class, 0
            different, anything else ignored (see
            :func:`~mmwsss.models.utils.token_contrast.affinity_from_labels`).

    Returns:
        Tensor: The scalar loss.
    """
    b, c = tokens.shape[:2]
    x = F.normalize(tokens.reshape(b, c, -1), p=2, dim=1, eps=1e-8)
    cos = torch.matmul(x.transpose(1, 2), x).abs()
    positive = (affinity == 1).to(cos.dtype)
    negative = (affinity == 0).to(cos.dtype)
    return 0.5 * (1 - (positive * cos).sum() / (positive.sum() + 1)) + \
        0.5 * (negative * cos).sum() / (negative.sum() + 1)
