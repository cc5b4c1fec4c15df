"""ToCo's class token contrast (CTC) loss."""
import math

import torch
from torch import Tensor


def class_token_contrast_loss(student: Tensor,
                              teacher: Tensor,
                              flags: Tensor,
                              temperature: float = 0.5) -> Tensor:
    """Class token contrast (Ru et al., CVPR 2023, ``CTCLoss_neg``).

    With ``l_j = exp(t . s_j / temperature)`` between each of the 2 global
    views' teacher projections ``t`` and every view's student projection
    ``s_j``, each positive view ``j`` (the global views and the local crops
    of uncertain regions) adds ``-log(l_j / (l_j + sum_neg l + 1e-4))``, the
    negatives being the local crops of confident regions; one more term
    ``-log(1 / (1 + sum_neg l + 1e-4))`` is added per teacher view (the
    official loop's ``for ... else``, which always runs). The sum over both
    teacher views is halved, divided by the number of positives (plus
    1e-4) and averaged over the batch.

    The terms are computed in log space (``logsumexp``): equal to the
    official ones wherever those are finite, and finite where the official
    ``exp`` overflows (the projections are not normalised, so ``t . s`` can
    reach hundreds) and its loss turns NaN.

    Args:
        student (Tensor): ``[V * B, D]`` student projections, view-major
            (all images' first view, then their second, ...).
        teacher (Tensor): ``[2 * B, D]`` teacher projections of the two
            global views, view-major.
        flags (Tensor): ``[B, V]``: 1 positive, 0 negative (the first two
            views, the global ones, are positive).
        temperature (float): ToCo VOC 0.5, COCO 1.0.

    Returns:
        Tensor: The scalar loss.
    """
    b, num_views = flags.shape
    student = student.reshape(num_views, b, -1).permute(1, 0, 2)
    teacher = teacher.reshape(2, b, -1).permute(1, 0, 2)
    logits = torch.matmul(teacher, student.transpose(1, 2)) / temperature
    positive = (flags != 0)[:, None].expand_as(logits)
    # log of the negatives' sum, -inf without negatives.
    log_negative = torch.logsumexp(
        logits.masked_fill(positive, float('-inf')), dim=2, keepdim=True)
    eps = torch.full_like(log_negative, math.log(1e-4))
    denominator = torch.logsumexp(
        torch.stack(torch.broadcast_tensors(logits, log_negative, eps)),
        dim=0)
    per_view = (denominator - logits).masked_fill(~positive, 0).sum(dim=2)
    extra = torch.logsumexp(
        torch.cat([torch.zeros_like(log_negative), log_negative, eps],
                  dim=2),
        dim=2)
    per_view = per_view + extra
    num_positive = (flags != 0).sum(dim=1).to(logits.dtype)
    return (per_view.sum(dim=1) / 2 / (num_positive + 1e-4)).mean()
