from typing import Dict, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.utils.errors import InputKeyError, InputValueError


def stack_img_labels(data_samples: SampleList) -> Tensor:
    """Stack the ``gt_img_labels`` of a batch into a ``[N, K]`` tensor."""
    try:
        return torch.stack([s.gt_img_labels for s in data_samples])
    except AttributeError:
        raise InputKeyError(
            'data samples carry no gt_img_labels; pack them with '
            'PackWSSSInputs') from None


@MODELS.register_module()
class CAMHead(BaseModule):
    """Class activation map head: global average pooling, then a bias-free
    1x1 classifier, trained with multi-label BCE on image-level labels.

    The CAM of class ``k`` is the classifier's weight ``w_k`` applied at each
    position of the feature map, so that GAP of the CAM equals the logit.
    From "Learning Deep Features for Discriminative Localization" (Zhou et
    al., CVPR 2016), in the form IRN (Ahn et al., CVPR 2019) and ReCAM (Chen
    et al., CVPR 2022) use.

    Args:
        in_channels (int): Channels of the backbone feature used.
        num_classes (int): Number of foreground classes.
        in_index (int): Which backbone output to use. Default: -1.
        loss_cls (dict): Multi-label classification loss; the default, mmseg's
            sigmoid cross-entropy with mean reduction, equals IRN's
            ``multilabel_soft_margin_loss``.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 in_index: int = -1,
                 loss_cls: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0,
                     loss_name='loss_cls'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.in_index = in_index
        self.classifier = nn.Conv2d(in_channels, num_classes, 1, bias=False)
        self.loss_cls = MODELS.build(loss_cls)

    def _select(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        if isinstance(inputs, (list, tuple)):
            return inputs[self.in_index]
        return inputs

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image-level logits ``[N, K]``."""
        x = self._select(inputs)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.classifier(x).flatten(1)

    def cam_weight(self) -> Tensor:
        """The ``[K, C, 1, 1]`` weight that turns features into CAMs."""
        return self.classifier.weight

    def forward_cam(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Raw class activation maps ``[N, K, h, w]`` (no ReLU)."""
        return F.conv2d(self._select(inputs), self.cam_weight())

    def loss(self, inputs: Union[Tensor, Sequence[Tensor]],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Multi-label classification loss on the image-level labels."""
        logits = self.forward(inputs)
        targets = stack_img_labels(data_samples).to(logits)
        if targets.shape[1] != self.num_classes:
            raise InputValueError(
                f'image-level labels have {targets.shape[1]} classes but the '
                f'head has num_classes={self.num_classes}: set --cfg-options '
                f'model.cam_head.num_classes={targets.shape[1]} '
                '(tools/train.py --data-root takes it from the data root\'s '
                'classes.txt)')
        loss = self.loss_cls(logits, targets)
        return {self.loss_cls.loss_name: loss}
