"""ToCo's class token contrast (CTC) loss."""
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
    logits = torch.exp(torch.matmul(teacher, student.transpose(1, 2)) /
                       temperature)
    positive = flags != 0
    negative_sum = torch.where(~positive[:, None], logits,
                               torch.zeros_like(logits)).sum(dim=2)
    # The negatives' own log terms are dropped with where, not multiplied
    # by 0, so an overflowing term cannot turn the sum into NaN.
    log_terms = -torch.log(logits / (logits + negative_sum[..., None] + 1e-4))
    per_view = torch.where(positive[:, None], log_terms,
                           torch.zeros_like(log_terms)).sum(dim=2)
    per_view = per_view - torch.log(1 / (1 + negative_sum + 1e-4))
    num_positive = positive.sum(dim=1).to(logits.dtype)
    return (per_view.sum(dim=1) / 2 / (num_positive + 1e-4)).mean()
