from typing import Dict, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from mmseg.utils import SampleList
from torch import Tensor

from ..utils.cam_inference import normalize_cams
from .cam_head import CAMHead, stack_img_labels


@MODELS.register_module()
class ReCAMHead(CAMHead):
    """ReCAM head: the CAM head's BCE plus a softmax cross-entropy on
    class-reweighted features.

    For every class ``k`` in an image's label, the feature map is reweighted
    by that class's CAM (ReLU, divided by its max), average-pooled into a
    per-class feature, and classified by a second bias-free classifier with
    softmax cross-entropy against ``k``. Absent classes take no part.
    Nothing is detached, so the SCE gradient reaches the first classifier and
    the backbone. At inference the CAM uses the element-wise product of the
    two classifiers' weights (the official ``make_recam``).

    From "Class Re-Activation Maps for Weakly-Supervised Semantic
    Segmentation" (Chen et al., CVPR 2022).

    Args:
        recam_loss_weight (float): λ; 1.0 for VOC, 0.1 for COCO.
        **kwargs: See :class:`CAMHead`.
    """

    def __init__(self,
                 *args,
                 recam_loss_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.recam_loss_weight = recam_loss_weight
        self.recam_classifier = nn.Conv2d(
            self.in_channels, self.num_classes, 1, bias=False)

    def cam_weight(self) -> Tensor:
        return self.classifier.weight * self.recam_classifier.weight

    def class_features(self, feats: Tensor) -> Tensor:
        """Per-class CAM-reweighted features ``[N, K, C]``.

        Equals the mean over positions of ``cam_k * feature`` without
        building the ``[N, K, C, h, w]`` tensor.
        """
        cams = normalize_cams(F.relu(F.conv2d(feats, self.classifier.weight)))
        h, w = feats.shape[-2:]
        return torch.einsum('nkhw,nchw->nkc', cams, feats) / (h * w)

    def recam_loss(self, feats: Tensor, labels: Tensor) -> Tensor:
        """Softmax CE of the present classes' features, summed over each
        image's mean and divided by the batch size (official code)."""
        features = self.class_features(feats)
        logits = torch.einsum('nkc,jc->nkj', features,
                              self.recam_classifier.weight.flatten(1))
        present = labels > 0
        if not present.any():
            return logits.sum() * 0
        losses = F.cross_entropy(
            logits[present],
            torch.nonzero(present)[:, 1],
            reduction='none')
        image_index = torch.nonzero(present)[:, 0]
        per_image = torch.zeros(
            labels.shape[0], device=losses.device).index_add_(
                0, image_index, losses)
        counts = present.sum(dim=1).clamp(min=1)
        return (per_image / counts).sum() / labels.shape[0]

    def loss(self, inputs: Union[Tensor, Sequence[Tensor]],
             data_samples: SampleList) -> Dict[str, Tensor]:
        losses = super().loss(inputs, data_samples)
        feats = self._select(inputs)
        labels = stack_img_labels(data_samples).to(feats)
        losses['loss_recam'] = self.recam_loss_weight * self.recam_loss(
            feats, labels)
        return losses
