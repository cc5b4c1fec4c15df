from typing import Dict, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from .cam_head import stack_img_labels


def min_max_normalize(maps: Tensor, eps: float = 1e-5) -> Tensor:
    """Scale every ``[h, w]`` map of ``[..., h, w]`` to [0, 1] by its own
    minimum and maximum (ACoL's ``normalize_atten_maps``). A constant map,
    where the official division is 0 / 0, becomes 0."""
    flat = maps.flatten(-2)
    low = flat.min(dim=-1, keepdim=True).values
    high = flat.max(dim=-1, keepdim=True).values
    return ((flat - low) / (high - low).clamp(min=eps)).view_as(maps)


@MODELS.register_module()
class ACoLHead(BaseModule):
    """Adversarial complementary learning head: two parallel classifiers,
    the second of which sees the features with the first one's most
    discriminative regions erased.

    The backbone features are smoothed by a 3x3 average pooling (stride 1)
    and fed to classifier A. Each classifier is two 3x3 convolutions with
    ReLU and a 1x1 convolution to the classes; its output is the class
    localization map and its global average is the logit. Where the
    min-max normalised map of A reaches ``erase_threshold``, the features
    are set to 0, and classifier B classifies what is left. Both logits are
    trained with the classification loss. The localization map of a class
    is the element-wise maximum of the two classifiers' min-max normalised
    maps.

    ACoL is single-label (one ground-truth class per image). Here, in
    training, the erased region is the union of the regions of all classes
    in the image's label (none for an image without labels), and B is
    trained with the multi-label loss on what is left. At inference no
    label is given: B's map of class ``k`` is computed on the features with
    the region of class ``k`` erased, for every class, which is exactly the
    official map of the ground-truth class for a single-label image.

    From "Adversarial Complementary Learning for Weakly Supervised Object
    Localization" (Zhang et al., CVPR 2018), as in the official
    ``models/vgg/vgg_v1.py``.

    Args:
        in_channels (int): Channels of the backbone feature used.
        num_classes (int): Number of foreground classes.
        channels (int): Width of the classifiers' 3x3 convolutions; 1024 in
            the official code. Default: 1024.
        erase_threshold (float): δ; positions whose normalised map of A is
            at least δ are erased for B. Default: 0.6 (official scripts).
        in_index (int): Which backbone output to use. Default: -1.
        loss_cls (dict): Multi-label classification loss, applied to both
            classifiers' logits.
        init_cfg (dict, optional): Initialization config; the official
            code initialises the convolutions Xavier-uniform with zero bias.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 channels: int = 1024,
                 erase_threshold: float = 0.6,
                 in_index: int = -1,
                 loss_cls: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0,
                     loss_name='loss_cls'),
                 init_cfg: OptMultiConfig = dict(
                     type='Xavier',
                     distribution='uniform',
                     layer='Conv2d',
                     bias=0.0)) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= erase_threshold <= 1:
            raise InputValueError(
                f'erase_threshold must be in [0, 1], got {erase_threshold}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.channels = channels
        self.erase_threshold = erase_threshold
        self.in_index = in_index
        self.classifier_a = self._make_classifier()
        self.classifier_b = self._make_classifier()
        self.loss_cls = MODELS.build(loss_cls)

    def _make_classifier(self) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(self.in_channels, self.channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(self.channels, self.channels, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(self.channels, self.num_classes, 1))

    def _features(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """The selected backbone output after the official 3x3 average
        pooling (zero padding counted, as ``F.avg_pool2d``'s default)."""
        x = inputs[self.in_index] if isinstance(inputs,
                                                (list, tuple)) else inputs
        return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)

    def erase_mask(self, maps_a: Tensor, labels: Tensor) -> Tensor:
        """``[N, 1, h, w]`` mask, 0 where the normalised map of A of any
        labelled class reaches ``erase_threshold``, else 1. No gradient
        flows through it (the official mask is built from ``.data``).

        Args:
            maps_a (Tensor): Classifier A's maps ``[N, K, h, w]``.
            labels (Tensor): Image-level labels ``[N, K]`` (0/1).
        """
        with torch.no_grad():
            peaks = min_max_normalize(maps_a) >= self.erase_threshold
            erased = (peaks & (labels > 0)[:, :, None, None]).any(dim=1)
        return (~erased).to(maps_a.dtype)[:, None]

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image-level logits ``[N, K]`` of classifier A (the official code
        reports A's logits as the classification)."""
        return self.classifier_a(self._features(inputs)).mean(dim=(2, 3))

    def forward_cam(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Fused localization maps ``[N, K, h, w]`` in [0, 1]: for each
        class, the maximum of A's normalised map and B's normalised map on
        the features with that class's region erased."""
        feats = self._features(inputs)
        maps_a = self.classifier_a(feats)
        peaks = min_max_normalize(maps_a) >= self.erase_threshold
        maps_b = []
        # One pass of B per class, each with only that class erased, as
        # the official inference with that class as the label.
        for k in range(self.num_classes):
            keep = (~peaks[:, k:k + 1]).to(feats.dtype)
            maps_b.append(self.classifier_b(feats * keep)[:, k])
        maps_b = torch.stack(maps_b, dim=1)
        return torch.max(min_max_normalize(maps_a), min_max_normalize(maps_b))

    def loss(self, inputs: Union[Tensor, Sequence[Tensor]],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Classification loss of A on the features and of B on the
        features with the labelled classes' regions erased."""
        feats = self._features(inputs)
        labels = stack_img_labels(data_samples).to(feats)
        if labels.shape[1] != self.num_classes:
            raise InputValueError(
                f'image-level labels have {labels.shape[1]} classes but the '
                f'head has num_classes={self.num_classes}')
        maps_a = self.classifier_a(feats)
        maps_b = self.classifier_b(feats * self.erase_mask(maps_a, labels))
        name = self.loss_cls.loss_name
        return {
            name: self.loss_cls(maps_a.mean(dim=(2, 3)), labels),
            f'{name}_erased': self.loss_cls(maps_b.mean(dim=(2, 3)), labels),
        }
