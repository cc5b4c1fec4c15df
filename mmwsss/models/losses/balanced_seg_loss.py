"""The segmentation loss of the single-stage methods (AFA, ToCo, WeCLIP)."""
import torch.nn.functional as F
from torch import Tensor


def balanced_seg_loss(logits: Tensor,
                      labels: Tensor,
                      ignore_index: int = 255) -> Tensor:
    """The mean of a cross entropy over the background pixels and one over
    the foreground pixels (AFA, ToCo and WeCLIP's ``get_seg_loss``), so that
    the background, most of a pseudo label, does not outweigh the objects.

    Each term is the mean over its own pixels; a term without pixels is NaN
    in the official code as in PyTorch's mean cross entropy, so callers pass
    labels that have both (every online label of these methods does: an
    image has a class and a background).

    Args:
        logits (Tensor): ``[B, C, H, W]`` class scores (class 0 background).
        labels (Tensor): ``[B, H, W]`` int64 labels, ``ignore_index``
            unsure.
        ignore_index (int): The unsure label.

    Returns:
        Tensor: The scalar loss.
    """
    background = labels.masked_fill(labels != 0, ignore_index)
    foreground = labels.masked_fill(labels == 0, ignore_index)
    return 0.5 * (
        F.cross_entropy(logits, background, ignore_index=ignore_index) +
        F.cross_entropy(logits, foreground, ignore_index=ignore_index))
