from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig
from torch import Tensor

from mmwsss.utils.errors import InputValueError


@MODELS.register_module()
class PixelCorrelationModule(BaseModule):
    """Pixel correlation module (PCM): refines class score maps with the
    affinities of low-level features.

    The features are the image resized to the score grid and ReLU'd 1x1
    projections of intermediate backbone features, the latter detached so
    that the module's losses never reach the backbone. A further 1x1
    convolution embeds their concatenation; the affinity of two positions
    is the ReLU'd cosine similarity of their embeddings, normalised so that
    the affinities *into* every position sum to one. Each score map is then
    propagated: ``refined[:, j] = sum_i scores[:, i] * aff[i, j]``, a convex
    combination of the scores, channel by channel.

    The official network (``network/resnet38_SEAM.py``: ``f8_3``, ``f8_4``,
    ``f9`` and ``PCM``) reads the ResNet-38 features ``conv4`` (512
    channels) and ``conv5`` (1024 channels), both at the stride of its CAM
    (8). Features at another stride are resized to the score grid
    (bilinear, ``align_corners=True``, as the official code resizes the
    image) before their projection.

    From "Self-supervised Equivariant Attention Mechanism for Weakly
    Supervised Semantic Segmentation" (Wang et al., CVPR 2020).

    Args:
        in_channels (Sequence[int]): Channels of the backbone features read.
            Default: (512, 1024) (SEAM's ``conv4`` and ``conv5``).
        in_index (Sequence[int]): Which backbone outputs they are.
        feat_channels (Sequence[int]): Width of each 1x1 projection (SEAM:
            64 and 128).
        embed_channels (int): Width of the embedding (SEAM's ``f9``: 192).
        init_cfg (dict, optional): Initialization config. Without one the
            layers start as the official ones: Kaiming-normal projections,
            Xavier-uniform embedding with gain 4.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (512, 1024),
                 in_index: Sequence[int] = (0, 1),
                 feat_channels: Sequence[int] = (64, 128),
                 embed_channels: int = 192,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not len(in_channels) == len(in_index) == len(feat_channels):
            raise InputValueError(
                'in_channels, in_index and feat_channels need one entry per '
                f'feature, got {in_channels}, {in_index}, {feat_channels}')
        self.in_channels = tuple(in_channels)
        self.in_index = tuple(in_index)
        self.projections = nn.ModuleList(
            nn.Conv2d(c_in, c_out, 1, bias=False)
            for c_in, c_out in zip(in_channels, feat_channels))
        # The image's 3 channels come first, as in the official torch.cat.
        self.embedding = nn.Conv2d(
            sum(feat_channels) + 3, embed_channels, 1, bias=False)
        for projection in self.projections:
            nn.init.kaiming_normal_(projection.weight)
        nn.init.xavier_uniform_(self.embedding.weight, gain=4)

    def _select(self, inputs: Union[Tensor, Sequence[Tensor]]
                ) -> Tuple[Tensor, ...]:
        if isinstance(inputs, Tensor):
            inputs = (inputs, )
        return tuple(inputs[i] for i in self.in_index)

    def affinity_features(self, inputs: Union[Tensor, Sequence[Tensor]],
                          images: Tensor, size: Tuple[int, int]) -> Tensor:
        """The features whose affinities propagate the scores:
        ``[N, 3 + sum(feat_channels), *size]``.

        Args:
            inputs (Tensor | Sequence[Tensor]): Backbone outputs.
            images (Tensor): The network's (normalised) input ``[N, 3, H,
                W]``.
            size (tuple[int, int]): The score grid.
        """
        parts = [
            F.interpolate(
                images, size, mode='bilinear', align_corners=True)
        ]
        for projection, feat in zip(self.projections, self._select(inputs)):
            # Detached: the PCM losses train the PCM only.
            feat = feat.detach()
            if feat.shape[-2:] != tuple(size):
                feat = F.interpolate(
                    feat, size, mode='bilinear', align_corners=True)
            parts.append(F.relu(projection(feat)))
        return torch.cat(parts, dim=1)

    def propagate(self, scores: Tensor, features: Tensor) -> Tensor:
        """Propagate ``scores`` ``[N, C, h', w']`` with the affinities of
        ``features`` ``[N, c, h, w]``; returns ``[N, C, h, w]``."""
        n, _, h, w = features.shape
        scores = F.interpolate(
            scores, (h, w), mode='bilinear',
            align_corners=True).flatten(2)
        embedded = self.embedding(features).flatten(2)
        embedded = embedded / (
            torch.norm(embedded, dim=1, keepdim=True) + 1e-5)
        affinity = F.relu(torch.matmul(embedded.transpose(1, 2), embedded))
        affinity = affinity / (affinity.sum(dim=1, keepdim=True) + 1e-5)
        return torch.matmul(scores, affinity).view(n, -1, h, w)

    def forward(self, scores: Tensor, inputs: Union[Tensor,
                                                    Sequence[Tensor]],
                images: Tensor) -> Tensor:
        """Refined scores ``[N, C, h, w]`` on the grid of ``scores``.

        Args:
            scores (Tensor): Score maps ``[N, C, h, w]``.
            inputs (Tensor | Sequence[Tensor]): Backbone outputs.
            images (Tensor): The network's input ``[N, 3, H, W]``.
        """
        features = self.affinity_features(inputs, images, scores.shape[-2:])
        return self.propagate(scores, features)
