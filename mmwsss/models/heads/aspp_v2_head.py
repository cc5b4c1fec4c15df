from typing import Sequence, Tuple

import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.losses import accuracy
from mmseg.registry import MODELS
from mmseg.utils import MultiConfig, SampleList
from torch import Tensor

from mmwsss.utils.errors import InputTypeError, InputValueError


def subsample_labels(seg_label: Tensor, size: Tuple[int, int]) -> Tensor:
    """Nearest-neighbour subsampling of ``[N, 1, H, W]`` labels to ``size``.

    ``nearest-exact`` samples at pixel centres, as the Pillow ``NEAREST``
    resize of deeplab-pytorch's ``resize_labels``; plain ``nearest`` would
    shift the grid by half a cell.
    """
    return F.interpolate(
        seg_label.float(), size=size, mode='nearest-exact').long()


@MODELS.register_module()
class ASPPV2Head(BaseDecodeHead):
    """DeepLab-v2's atrous spatial pyramid pooling (ASPP-L).

    Parallel 3x3 atrous convolutions (dilations 6, 12, 18, 24) map the
    backbone's last feature map straight to class logits, and the branch
    outputs are summed. Unlike DeepLab-v3's ASPP (mmseg's ``ASPPHead``)
    there is no image pooling, no normalisation, no shared 1x1 classifier
    and no dropout: each branch is its own classifier. Weights start from
    N(0, 0.01) and biases from 0, the fillers of the official prototxt and
    of deeplab-pytorch.

    As in DeepLab-v2, the training loss is taken at the logits' resolution
    against the label map subsampled by nearest neighbour, not on logits
    upsampled to the labels; at test time the logits are upsampled
    bilinearly (mmseg's ``predict_by_feat``).

    From "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets,
    Atrous Convolution, and Fully Connected CRFs" (Chen et al., TPAMI 2018).

    Args:
        dilations (Sequence[int]): One branch per dilation.
        init_cfg (dict): Initialisation of the branches.
        **kwargs: See :class:`mmseg.models.decode_heads.BaseDecodeHead`.
            ``channels`` and ``dropout_ratio`` are not accepted: the
            branches output the classes directly.
    """

    def __init__(self,
                 dilations: Sequence[int] = (6, 12, 18, 24),
                 init_cfg: MultiConfig = dict(
                     type='Normal', std=0.01, bias=0, layer='Conv2d'),
                 **kwargs) -> None:
        for fixed in ('channels', 'dropout_ratio'):
            if fixed in kwargs:
                raise InputTypeError(f'ASPPV2Head has no {fixed!r}: its ASPP '
                                     'branches are the classifier')
        super().__init__(
            channels=kwargs['in_channels'],
            dropout_ratio=0.,
            init_cfg=init_cfg,
            **kwargs)
        # The branches replace BaseDecodeHead's 1x1 classifier; an unused
        # layer would hold parameters without gradients.
        del self.conv_seg
        self.dilations = tuple(dilations)
        self.aspp = nn.ModuleList(
            nn.Conv2d(
                self.in_channels,
                self.out_channels,
                kernel_size=3,
                padding=dilation,
                dilation=dilation) for dilation in self.dilations)

    def forward(self, inputs: Tuple[Tensor]) -> Tensor:
        x = self._transform_inputs(inputs)
        return sum(branch(x) for branch in self.aspp)

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Cross-entropy of the logits against the labels subsampled to
        their size (DeepLab-v2's training protocol)."""
        if self.sampler is not None:
            raise InputValueError(
                'ASPPV2Head does not support a pixel sampler')
        seg_label = subsample_labels(
            self._stack_batch_gt(batch_data_samples),
            seg_logits.shape[2:]).squeeze(1)
        losses_decode = self.loss_decode if isinstance(
            self.loss_decode, nn.ModuleList) else [self.loss_decode]
        loss = dict()
        for loss_decode in losses_decode:
            value = loss_decode(
                seg_logits, seg_label, ignore_index=self.ignore_index)
            loss[loss_decode.loss_name] = loss.get(loss_decode.loss_name,
                                                   0) + value
        loss['acc_seg'] = accuracy(
            seg_logits, seg_label, ignore_index=self.ignore_index)
        return loss
