from typing import Dict, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from mmwsss.models.heads.cam_head import stack_img_labels
from mmwsss.utils.errors import InputValueError
from .cam_classifier import CAMClassifier


def max_norm(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """SEAM's min-max normalisation of every map of ``[N, C, H, W]``
    (``tool/visualization.max_norm``): ReLU, then ``relu(x - min - eps) /
    (max - min + eps)``, with gradients through the max and the min."""
    cams = F.relu(cams)
    flat = cams.flatten(2)
    peak = flat.max(dim=-1).values[..., None, None]
    floor = flat.min(dim=-1).values[..., None, None]
    return F.relu(cams - floor - eps) / (peak - floor + eps)


def pcm_input_scores(cams: Tensor, eps: float = 1e-5) -> Tensor:
    """The scores SEAM's PCM propagates, ``[N, K + 1, h, w]`` from raw
    foreground CAMs ``[N, K, h, w]`` (``Net.forward``, without gradients).

    Each ReLU'd map is divided by its maximum; the background score is one
    minus the largest foreground score; at every position only the
    foreground class(es) with the largest score keep it, the others are
    zeroed. No image label is used: the maximum runs over all classes.
    """
    with torch.no_grad():
        cams = F.relu(cams.detach())
        peak = cams.flatten(2).max(dim=-1).values[..., None, None] + eps
        scores = F.relu(cams - eps) / peak
        top = scores.max(dim=1, keepdim=True).values
        background = 1 - top
        scores = torch.where(scores < top, torch.zeros_like(scores), scores)
        return torch.cat([background, scores], dim=1)


def with_background(cams: Tensor) -> Tensor:
    """Prepend SEAM's background ``1 - max`` to normalised foreground maps
    ``[N, K, h, w]``."""
    return torch.cat([1 - cams.max(dim=1, keepdim=True).values, cams], dim=1)


def keep_foreground_max(scores: Tensor) -> Tensor:
    """SEAM's ``max_onehot`` without its in-place write: of ``[N, K + 1, h,
    w]`` (background first) the foreground scores that are not the largest
    foreground score of their position become zero; the background and the
    largest score keep their values."""
    foreground = scores[:, 1:]
    top = foreground.max(dim=1, keepdim=True).values
    foreground = torch.where(foreground != top,
                             torch.zeros_like(foreground), foreground)
    return torch.cat([scores[:, :1], foreground], dim=1)


def adaptive_min_pooling_loss(cams: Tensor) -> Tensor:
    """SEAM's ``adaptive_min_pooling_loss`` of ``[N, C, h, w]``: the mean of
    the ReLU'd smallest quarter of the per-position maximum over channels.
    It pushes the weakest refined foreground scores, the likely background,
    to zero."""
    n, _, h, w = cams.shape
    k = h * w // 4
    lowest = torch.topk(
        cams.max(dim=1).values.view(n, -1), k=k, dim=-1, largest=False)[0]
    return F.relu(lowest).sum() / (k * n)


def equivariant_regularization_loss(cams_a: Tensor, cams_b: Tensor) -> Tensor:
    """ER loss: the mean absolute difference of two branches' normalised
    foreground CAMs on one grid (both receive gradients)."""
    return torch.mean(torch.abs(cams_a - cams_b))


def equivariant_cross_regularization_loss(target: Tensor, refined: Tensor,
                                          topk_ratio: float = 0.2) -> Tensor:
    """ECR loss of one direction: the mean of the largest ``topk_ratio``
    share of ``|target - refined|`` over all channels and positions of each
    image (SEAM's hard-pixel selection).

    Args:
        target (Tensor): ``[N, K + 1, h, w]`` scores of the other branch
            (background first), detached; :func:`keep_foreground_max` is
            applied here.
        refined (Tensor): ``[N, K + 1, h, w]`` normalised PCM output.
        topk_ratio (float): Share of entries averaged (SEAM: 0.2).
    """
    n, c, h, w = refined.shape
    error = torch.abs(keep_foreground_max(target.detach()) - refined)
    k = int(c * h * w * topk_ratio)
    return torch.mean(torch.topk(error.view(n, -1), k=k, dim=-1)[0])


@MODELS.register_module()
class SEAMClassifier(CAMClassifier):
    """CAM classifier trained with SEAM's self-supervised equivariant
    attention mechanism.

    Every image goes through the network twice: as it is and rescaled by
    ``scale_factor`` (bilinear). In each branch the CAMs (dropout before the
    bias-free classifier) are turned into PCM input scores
    (:func:`pcm_input_scores`: background ``1 - max``, non-maximal classes
    zeroed) and refined by the :class:`PixelCorrelationModule`; the CAMs
    and refined maps are upsampled to the branch's input (bilinear,
    ``align_corners=True``). The losses (``train_SEAM.py``), all weight 1:

    - ``loss_cls``: multi-label soft-margin loss of the global average of
      each branch's upsampled CAMs, averaged over the branches;
    - ``loss_rvmin``: :func:`adaptive_min_pooling_loss` of each branch's
      labelled refined foreground maps, averaged over the branches;
    - ``loss_er``: :func:`equivariant_regularization_loss` between the
      min-max normalised (:func:`max_norm`) labelled CAMs of the two
      branches, the full-size ones rescaled like the image;
    - ``loss_ecr``: :func:`equivariant_cross_regularization_loss` of each
      branch's normalised refined maps against the other branch's CAMs
      (with background, detached), summed over both directions.

    The classifier has no background row: the official ``fc8`` has one
    (21 outputs), but every loss overwrites or drops it and inference reads
    the foreground only, so it never receives a gradient. The background
    score is always ``1 - max`` of the foreground.

    ``forward_cam`` returns the foreground channels of the PCM-refined maps
    at the feature grid, as ``infer_SEAM.py`` reads ``cam_rv[:, 1:]``.

    From "Self-supervised Equivariant Attention Mechanism for Weakly
    Supervised Semantic Segmentation" (Wang et al., CVPR 2020).

    Args:
        pcm (dict): :class:`PixelCorrelationModule` config.
        scale_factor (float): Rescaling of the second branch (SEAM: 0.3).
        dropout_ratio (float): ``Dropout2d`` before the classifier (SEAM's
            ``dropout7``: 0.5).
        ecr_topk_ratio (float): Share of hardest entries in the ECR loss
            (SEAM: 0.2).
        **kwargs: See :class:`CAMClassifier`.
    """

    def __init__(self,
                 pcm: ConfigType,
                 scale_factor: float = 0.3,
                 dropout_ratio: float = 0.5,
                 ecr_topk_ratio: float = 0.2,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not 0 < scale_factor <= 1:
            raise InputValueError(
                f'scale_factor must be in (0, 1], got {scale_factor}')
        self.pcm = MODELS.build(pcm)
        self.scale_factor = scale_factor
        self.dropout = nn.Dropout2d(dropout_ratio)
        self.ecr_topk_ratio = ecr_topk_ratio

    def seam_forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Raw foreground CAMs ``[N, K, h, w]`` and PCM-refined scores
        ``[N, K + 1, h, w]`` (background first) at the feature grid."""
        feats = self.extract_feat(inputs)
        cams = self.cam_head.forward_cam(
            self.dropout(self.cam_head._select(feats)))
        refined = self.pcm(pcm_input_scores(cams), feats, inputs)
        return cams, refined

    def forward_cam(self, inputs: Tensor) -> Tensor:
        """Raw PCM-refined CAMs ``[N, K, h, w]`` of the foreground classes
        (``infer_SEAM.py``: ``cam_rv[:, 1:]``)."""
        return self.seam_forward(inputs)[1][:, 1:]

    def siamese_branch(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """One branch of the siamese network: the CAMs and refined scores
        of :meth:`seam_forward` upsampled to the input size."""
        cams, refined = self.seam_forward(inputs)
        size = inputs.shape[-2:]
        cams = F.interpolate(
            cams, size, mode='bilinear', align_corners=True)
        refined = F.interpolate(
            refined, size, mode='bilinear', align_corners=True)
        return cams, refined

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        labels = stack_img_labels(data_samples).to(inputs)
        if labels.shape[1] != self.num_classes:
            raise ValueError(
                f'image-level labels have {labels.shape[1]} classes but the '
                f'head has num_classes={self.num_classes}')
        scaled = F.interpolate(
            inputs,
            scale_factor=self.scale_factor,
            mode='bilinear',
            align_corners=True)
        cams1, refined1 = self.siamese_branch(inputs)
        cams2, refined2 = self.siamese_branch(scaled)
        return self.seam_losses(cams1, refined1, cams2, refined2, labels)

    def seam_losses(self, cams1: Tensor, refined1: Tensor, cams2: Tensor,
                    refined2: Tensor, labels: Tensor) -> Dict[str, Tensor]:
        """SEAM's losses from the two branches' outputs.

        Args:
            cams1 (Tensor): Raw CAMs ``[N, K, H, W]`` of the full-size
                branch, at its input size.
            refined1 (Tensor): Its refined scores ``[N, K + 1, H, W]``.
            cams2 (Tensor): Raw CAMs ``[N, K, h, w]`` of the rescaled
                branch, ``(h, w)`` the image size times ``scale_factor``.
            refined2 (Tensor): Its refined scores ``[N, K + 1, h, w]``.
            labels (Tensor): Image-level labels ``[N, K]``.

        Returns:
            dict: ``loss_cls``, ``loss_rvmin``, ``loss_er``, ``loss_ecr``.
        """
        foreground = labels[:, :, None, None]
        # SEAM's label with the always-present background first.
        every = F.pad(labels, (1, 0), value=1.0)[:, :, None, None]

        logits1 = F.adaptive_avg_pool2d(cams1, 1).flatten(1)
        min_pool1 = adaptive_min_pooling_loss(refined1[:, 1:] * foreground)
        # The full-size branch rescaled like the image, so that both lie on
        # one grid.
        cams1 = F.interpolate(
            max_norm(cams1),
            scale_factor=self.scale_factor,
            mode='bilinear',
            align_corners=True) * foreground
        refined1 = F.interpolate(
            max_norm(refined1),
            scale_factor=self.scale_factor,
            mode='bilinear',
            align_corners=True) * every

        logits2 = F.adaptive_avg_pool2d(cams2, 1).flatten(1)
        min_pool2 = adaptive_min_pooling_loss(refined2[:, 1:] * foreground)
        cams2 = max_norm(cams2) * foreground
        refined2 = max_norm(refined2) * every

        loss_cls = (self.cam_head.loss_cls(logits1, labels) +
                    self.cam_head.loss_cls(logits2, labels)) / 2
        loss_ecr = equivariant_cross_regularization_loss(
            with_background(cams2), refined1, self.ecr_topk_ratio) + \
            equivariant_cross_regularization_loss(
                with_background(cams1), refined2, self.ecr_topk_ratio)
        return dict(
            loss_cls=loss_cls,
            loss_rvmin=(min_pool1 + min_pool2) / 2,
            loss_er=equivariant_regularization_loss(cams1, cams2),
            loss_ecr=loss_ecr)
