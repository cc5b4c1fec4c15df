from typing import List, Sequence

import torch
import torch.nn.functional as F
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.utils import OptSampleList, SampleList, add_prefix
from torch import Tensor

from mmwsss.utils.errors import InputValueError


@MODELS.register_module()
class MSCEncoderDecoder(EncoderDecoder):
    """Encoder-decoder with DeepLab-v2's multi-scale inputs (MSC).

    The network runs on the image and on copies scaled by ``msc_scales``
    (bilinear, 0.5 and 0.75 in DeepLab-v2); the logits of every scale are
    resized bilinearly to those of the full-scale image and fused by their
    pixel-wise maximum. Training sums the decode head's loss over the
    logits of each scale and over the fused logits, each against labels
    subsampled to its size (the decode head's ``loss_by_feat``); inference
    predicts from the fused logits. With ``msc_scales=()`` it is a plain
    encoder-decoder.

    From "DeepLab: Semantic Image Segmentation with Deep Convolutional Nets,
    Atrous Convolution, and Fully Connected CRFs" (Chen et al., TPAMI 2018),
    as deeplab-pytorch's ``MSC``.

    Args:
        msc_scales (Sequence[float]): Scales of the extra inputs.
        **kwargs: See :class:`mmseg.models.segmentors.EncoderDecoder`; no
            ``auxiliary_head`` (DeepLab-v2 has none).
    """

    def __init__(self, msc_scales: Sequence[float] = (0.5, 0.75),
                 **kwargs) -> None:
        if kwargs.get('auxiliary_head') is not None:
            raise InputValueError('MSCEncoderDecoder takes no auxiliary_head')
        super().__init__(**kwargs)
        self.msc_scales = tuple(msc_scales)

    def scale_logits(self, inputs: Tensor) -> List[Tensor]:
        """Decode-head logits of the image and of each scaled copy."""
        logits = [self.decode_head(self.extract_feat(inputs))]
        for scale in self.msc_scales:
            scaled = F.interpolate(
                inputs, scale_factor=scale, mode='bilinear',
                align_corners=False)
            logits.append(self.decode_head(self.extract_feat(scaled)))
        return logits

    @staticmethod
    def fuse_max(logits: List[Tensor]) -> Tensor:
        """Pixel-wise maximum of the logits, resized to the first's size."""
        size = logits[0].shape[2:]
        resized = [logits[0]] + [
            resize(logit, size=size, mode='bilinear', align_corners=False)
            for logit in logits[1:]
        ]
        return torch.stack(resized).max(dim=0)[0]

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        logits = self.scale_logits(inputs)
        names = ['1x'] + [f'{scale}x' for scale in self.msc_scales]
        if self.msc_scales:
            logits.append(self.fuse_max(logits))
            names.append('max')
        losses = dict()
        for name, logit in zip(names, logits):
            losses.update(
                add_prefix(
                    self.decode_head.loss_by_feat(logit, data_samples),
                    f'decode_{name}'))
        return losses

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        fused = self.fuse_max(self.scale_logits(inputs))
        return self.decode_head.predict_by_feat(fused, batch_img_metas)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """The fused logits, at the logits' resolution."""
        return self.fuse_max(self.scale_logits(inputs))
