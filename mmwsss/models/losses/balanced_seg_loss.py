"""The segmentation loss of the single-stage methods (AFA, ToCo, WeCLIP)."""
import torch.nn.functional as F
from torch import Tensor


def balanced_seg_loss(logits: Tensor,
                      labels: Tensor,
                      ignore_index: int = 255) -> Tensor:
    """The mean of a cross entropy over the background pixels and one over
    the foreground pixels (AFA, ToCo and WeCLIP's ``get_seg_loss``), so that
    the background, most of a pseudo label, does not outweigh the objects.

    Each term is the mean over its own pixels. A term without pixels (a
    batch labelled all background, all foreground or all unsure) counts 0:
    the official mean over no pixels is NaN, which would reach every
    weight. Otherwise the loss is the official one.

    Args:
        logits (Tensor): ``[B, C, H, W]`` class scores (class 0 background).
        labels (Tensor): ``[B, H, W]`` int64 labels, ``ignore_index``
            unsure.
        ignore_index (int): The unsure label.

    Returns:
        Tensor: The scalar loss.
    """
    total = logits.sum() * 0
    for keep in (labels == 0, (labels != 0) & (labels != ignore_index)):
        count = int(keep.sum())
        if count:
            term = labels.masked_fill(~keep, ignore_index)
            total = total + F.cross_entropy(
                logits, term, ignore_index=ignore_index,
                reduction='sum') / count
    return 0.5 * total
