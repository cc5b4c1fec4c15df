import os.path as osp
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.runner import load_checkpoint
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from mmwsss.models.heads.cam_head import stack_img_labels
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError
from ..utils.cam_inference import normalize_cams
from .cam_classifier import CAMClassifier


@MODELS.register_module()
class CSEClassifier(CAMClassifier):
    """CAM classifier trained with class-specific adversarial erasing.

    A frozen ordinary classifier (a trained CAM classifier, eval mode, no
    gradients to its weights) looks at the image with one class erased: per
    image a target class is drawn uniformly from those present, its CAM is
    ReLU'd, upsampled to the image, divided by its maximum, and the
    normalised image is multiplied by ``1 - mask``. The ordinary classifier
    must then still find the remaining classes but not the target, which
    pushes the CAM network to spread the target's CAM over the whole object
    (erasing only a part leaves it recognisable). Gradients flow through the
    frozen classifier into the mask and the CAM network.

    loss = BCE(CAM net, labels) + λ·BCE(ordinary(erased), labels − target),
    λ = ``loss_weight_base + loss_weight_slope * epoch`` with the 0-based
    epoch and no clamp (the official ``cc_init + cc_slope * epo``: 0.3 +
    0.05·epoch, 1.0 in the last of its 15 epochs). The official code divides
    the masks by the largest value of the whole batch (``mask_norm='batch'``);
    ``'image'`` divides each image's mask by its own maximum.

    From "Unlocking the Potential of Ordinary Classifier: Class-specific
    Adversarial Erasing Framework for Weakly Supervised Semantic
    Segmentation" (Kweon et al., ICCV 2021).

    Args:
        ordinary_classifier (dict): ``backbone`` and ``cam_head`` of the
            ordinary classifier.
        ordinary_checkpoint (str, optional): Its weights, loaded by
            ``init_weights`` (a CSE checkpoint holds them too).
        erasing (str): ``'class_specific'`` or ``'class_agnostic'`` (erase
            the max over present classes; the remaining label set is empty).
        loss_weight_base (float): λ at epoch 0.
        loss_weight_slope (float): Growth of λ per epoch.
        mask_norm (str): ``'image'`` or ``'batch'`` (official); see above.
        **kwargs: See :class:`CAMClassifier`.
    """

    def __init__(self,
                 ordinary_classifier: ConfigType,
                 ordinary_checkpoint: Optional[str] = None,
                 erasing: str = 'class_specific',
                 loss_weight_base: float = 0.3,
                 loss_weight_slope: float = 0.05,
                 mask_norm: str = 'image',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if erasing not in ('class_specific', 'class_agnostic'):
            raise InputValueError("erasing must be 'class_specific' or "
                                  f"'class_agnostic', got {erasing!r}")
        if mask_norm not in ('image', 'batch'):
            raise InputValueError("mask_norm must be 'image' or 'batch', got "
                                  f'{mask_norm!r}')
        self.ordinary_classifier = CAMClassifier(
            backbone=ordinary_classifier['backbone'],
            cam_head=ordinary_classifier['cam_head'])
        if self.ordinary_classifier.num_classes != self.num_classes:
            raise InputValueError(
                f'the ordinary classifier has '
                f'{self.ordinary_classifier.num_classes} classes, the CAM '
                f'network {self.num_classes}')
        self.ordinary_classifier.requires_grad_(False)
        self.ordinary_checkpoint = ordinary_checkpoint
        self.erasing = erasing
        self.loss_weight_base = loss_weight_base
        self.loss_weight_slope = loss_weight_slope
        self.mask_norm = mask_norm

    def init_weights(self) -> None:
        super().init_weights()
        # Erasing against an untrained classifier teaches nothing: training
        # must name the frozen classifier's weights.
        if self.ordinary_checkpoint is None:
            raise InputValueError(
                'CSE needs model.ordinary_checkpoint, the checkpoint of the '
                'CAM classifier it freezes (its pipeline config\'s '
                "'ordinary' input sets it)")
        if not osp.isfile(self.ordinary_checkpoint):
            raise InputFileNotFoundError(
                'ordinary classifier checkpoint not found: '
                f'{self.ordinary_checkpoint} (train a CAM classifier first)')
        load_checkpoint(
            self.ordinary_classifier,
            self.ordinary_checkpoint,
            map_location='cpu',
            strict=True,
            revise_keys=[(r'^module\.', '')])

    def train(self, mode: bool = True) -> 'CSEClassifier':
        super().train(mode)
        self.ordinary_classifier.eval()
        return self

    def erase_loss_weight(self, epoch: Optional[int] = None) -> float:
        """λ at ``epoch`` (default: the runner's current epoch, 0-based)."""
        if epoch is None:
            epoch = MessageHub.get_current_instance().get_info('epoch', 0)
        return self.loss_weight_base + self.loss_weight_slope * epoch

    def erasing_targets(self, cams: Tensor,
                        labels: Tensor) -> Tuple[Tensor, Tensor]:
        """Masks ``[N, h, w]`` (raw CAMs) and the labels left after erasing.

        Images without a label are not erased (zero mask, labels kept).
        """
        n = labels.shape[0]
        has_label = labels.sum(dim=1) > 0
        if self.erasing == 'class_specific':
            weights = torch.where(has_label[:, None], labels,
                                  torch.ones_like(labels))
            target = torch.multinomial(weights, 1).squeeze(1)
            masks = cams[torch.arange(n), target]
            remaining = labels.clone()
            remaining[torch.arange(n), target] = 0
        else:
            present = labels[:, :, None, None] > 0
            masks = cams.masked_fill(~present, float('-inf')).amax(dim=1)
            remaining = torch.zeros_like(labels)
        masks = torch.where(has_label[:, None, None], masks,
                            torch.zeros_like(masks))
        remaining = torch.where(has_label[:, None], remaining, labels)
        return masks, remaining

    def erase(self, inputs: Tensor, masks: Tensor) -> Tuple[Tensor, Tensor]:
        """Erase ``inputs`` (normalised) with ReLU'd, max-normalised masks
        upsampled to the image size."""
        masks = F.interpolate(
            masks[:, None], size=inputs.shape[-2:], mode='bilinear',
            align_corners=False).relu()
        if self.mask_norm == 'batch':
            masks = masks / (masks.max() + 1e-5)
        else:
            masks = normalize_cams(masks)
        return inputs * (1 - masks), masks

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        feats = self.extract_feat(inputs)
        losses = self.cam_head.loss(feats, data_samples)
        labels = stack_img_labels(data_samples).to(inputs)
        cams = self.cam_head.forward_cam(feats)
        masks, remaining = self.erasing_targets(cams, labels)
        erased, _ = self.erase(inputs, masks)
        logits = self.ordinary_classifier._forward(erased)
        losses['loss_erase'] = self.erase_loss_weight() * \
            F.binary_cross_entropy_with_logits(logits, remaining)
        return losses
