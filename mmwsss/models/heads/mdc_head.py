from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from .cam_head import stack_img_labels


@MODELS.register_module()
class MDCHead(BaseModule):
    """Multi-dilated convolution head: parallel 3x3 convolution blocks of
    different dilation rates on the backbone features, each followed by
    global average pooling and its own classifier, all trained with the
    multi-label classification loss.

    Each block's class activation map ``H_d`` (its classifier's weights
    applied at every position of the block's output, as CAM) is made
    non-negative and divided by its maximum, and the dense localization map
    is (Eq. 1 of the paper)::

        H = H_0 + 1 / n_d * sum_{i=1..n_d} H_i

    where ``H_0`` is the map of the first block (dilation 1) and ``H_i``
    those of the ``n_d`` enlarged dilation rates: the enlarged blocks are
    averaged because each of them may also light up background.

    From "Revisiting Dilated Convolution: A Simple Approach for Weakly- and
    Semi-Supervised Semantic Segmentation" (Wei et al., CVPR 2018). There is
    no official code; this follows the paper's description.

    Args:
        in_channels (int): Channels of the backbone feature used.
        num_classes (int): Number of foreground classes.
        channels (int): Output channels of each block's 3x3 convolution.
            Default: 512 (the width of VGG16's conv5, which the paper's
            blocks follow).
        dilations (Sequence[int]): Dilation rates; the first is the standard
            block ``H_0``, the others the enlarged ones. Default:
            (1, 3, 6, 9).
        in_index (int): Which backbone output to use. Default: -1.
        loss_cls (dict): Multi-label classification loss, applied to every
            block's logits and summed.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 channels: int = 512,
                 dilations: Sequence[int] = (1, 3, 6, 9),
                 in_index: int = -1,
                 loss_cls: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=True,
                     loss_weight=1.0,
                     loss_name='loss_cls'),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(dilations) < 2 or len(set(dilations)) != len(dilations):
            raise InputValueError('MDCHead needs the standard dilation and at '
                                  'least one enlarged one, all different, got '
                                  f'{dilations}')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.channels = channels
        self.dilations = tuple(dilations)
        self.in_index = in_index
        # Padding = dilation keeps every block's map at the feature size.
        self.blocks = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(in_channels, channels, 3, padding=d, dilation=d),
                nn.ReLU(inplace=True)) for d in self.dilations)
        # Bias-free, as CAMHead's: the GAP of a block's CAM is its logit.
        self.classifiers = nn.ModuleList(
            nn.Conv2d(channels, num_classes, 1, bias=False)
            for _ in self.dilations)
        self.loss_cls = MODELS.build(loss_cls)

    def _select(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        if isinstance(inputs, (list, tuple)):
            return inputs[self.in_index]
        return inputs

    def block_cams(self, inputs: Union[Tensor, Sequence[Tensor]]
                   ) -> Tuple[Tensor, ...]:
        """Raw CAM ``[N, K, h, w]`` of every block, in ``dilations``
        order."""
        x = self._select(inputs)
        return tuple(
            classifier(block(x))
            for block, classifier in zip(self.blocks, self.classifiers))

    def block_logits(self, inputs: Union[Tensor, Sequence[Tensor]]
                     ) -> Tuple[Tensor, ...]:
        """Logits ``[N, K]`` of every block (GAP, then the classifier)."""
        x = self._select(inputs)
        return tuple(
            classifier(F.adaptive_avg_pool2d(block(x), 1)).flatten(1)
            for block, classifier in zip(self.blocks, self.classifiers))

    def forward(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Image-level logits ``[N, K]``: Eq. 1 applied to the blocks'
        logits, ``l_0 + mean(l_i)``, the GAP of the fused raw CAMs."""
        logits = self.block_logits(inputs)
        return logits[0] + torch.stack(logits[1:]).mean(dim=0)

    def forward_cam(self, inputs: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Dense localization maps ``H`` ``[N, K, h, w]`` in [0, 2]."""
        cams = []
        for cam in self.block_cams(inputs):
            cam = F.relu(cam)
            peak = cam.flatten(2).max(dim=2).values[..., None, None]
            cams.append(cam / (peak + 1e-5))
        return cams[0] + torch.stack(cams[1:]).mean(dim=0)

    def loss(self, inputs: Union[Tensor, Sequence[Tensor]],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """The classification loss of every block, one entry each
        (``loss_cls_d1``, ``loss_cls_d3``, ...), summed by the runner."""
        logits = self.block_logits(inputs)
        labels = stack_img_labels(data_samples).to(logits[0])
        if labels.shape[1] != self.num_classes:
            raise InputValueError(
                f'image-level labels have {labels.shape[1]} classes but the '
                f'head has num_classes={self.num_classes}')
        name = self.loss_cls.loss_name
        return {
            f'{name}_d{d}': self.loss_cls(block_logits, labels)
            for d, block_logits in zip(self.dilations, logits)
        }
