from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.models.utils.boundary_affinity import (nearest_resize_label,
                                                   pair_labels,
                                                   path_affinities)


@MODELS.register_module()
class IRNBoundaryHead(BaseModule):
    """IRN's class-boundary branch and its inter-pixel affinity loss.

    From "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations" (Ahn, Cho & Kwak, CVPR 2019). Each backbone level
    is reduced to ``channels`` by a bias-free 1x1 conv and GroupNorm,
    upsampled bilinearly to the finest level, passed through ReLU (the
    official order), concatenated and mapped to one boundary logit per
    pixel by a 1x1 conv.

    The loss relates every pixel of the boundary map's grid to the pixels
    within ``radius``: a pair's affinity is one minus the largest boundary
    probability on the path between them; pairs of equal labels should have
    affinity 1 (background and foreground pairs balanced), pairs of
    different labels affinity 0, and pairs with an unsure label are left
    out. The loss equals the class-boundary half of ``step/train_irn.py``:
    ``((bg + fg) / 2 + neg) / 2``.

    Args:
        in_channels (Sequence[int]): Channels of each backbone level
            (ResNet-50: 64, 256, 512, 1024, 2048).
        channels (int): Channels of each level after reduction.
        num_groups (int): GroupNorm groups.
        scale_factors (Sequence[int]): Upsampling factor of each level to the
            finest level (IRN: 1, 1, 2, 4, 4); the upsampled maps are cropped
            to the finest level's size.
        num_classes (int): Classes of the training labels including the
            background; labels from ``num_classes`` up are invalid.
        ignore_index (int): The "unsure" label of the training labels.
        radius (int): Exclusive pair radius on the boundary map's grid
            (IRN: 10).
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (64, 256, 512, 1024, 2048),
                 channels: int = 32,
                 num_groups: int = 4,
                 scale_factors: Sequence[int] = (1, 1, 2, 4, 4),
                 num_classes: int = 21,
                 ignore_index: int = 255,
                 radius: int = 10,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(scale_factors):
            raise ValueError(f'{len(in_channels)} in_channels but '
                             f'{len(scale_factors)} scale_factors')
        if any(int(f) != f or f < 1 for f in scale_factors):
            raise ValueError('scale_factors must be integers >= 1, got '
                             f'{tuple(scale_factors)}')
        self.in_channels = tuple(in_channels)
        self.scale_factors = tuple(int(f) for f in scale_factors)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.radius = radius
        self.reductions = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(c, channels, 1, bias=False),
                nn.GroupNorm(num_groups, channels))
            for c in self.in_channels)
        self.boundary_conv = nn.Conv2d(
            channels * len(self.in_channels), 1, 1, bias=True)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Boundary logits ``[N, 1, h, w]`` at the finest level's size."""
        if len(feats) != len(self.reductions):
            raise ValueError(f'expected {len(self.reductions)} feature '
                             f'levels, got {len(feats)}')
        height, width = feats[0].shape[-2:]
        levels = []
        for feat, reduce, factor in zip(feats, self.reductions,
                                        self.scale_factors):
            x = reduce(feat)
            if factor != 1:
                x = F.interpolate(
                    x,
                    scale_factor=factor,
                    mode='bilinear',
                    align_corners=False)
            levels.append(F.relu(x[..., :height, :width]))
        return self.boundary_conv(torch.cat(levels, dim=1))

    def loss(self, feats: Sequence[Tensor],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """Affinity losses of the boundary map against ``gt_sem_seg``."""
        return self.loss_by_feat(self(feats), data_samples)

    def loss_by_feat(self, boundary_logits: Tensor,
                     data_samples: SampleList) -> Dict[str, Tensor]:
        """Affinity losses of boundary logits ``[B, 1, h, w]``.

        ``gt_sem_seg`` holds the class labels at input size (255 = unsure,
        also on padding); they are brought to the boundary grid as IRN's
        ``pil_rescale(label, 0.25, 0)``. Returns ``loss_bg_pos``,
        ``loss_fg_pos`` and ``loss_neg`` whose sum is IRN's loss.
        """
        labels = torch.stack(
            [sample.gt_sem_seg.data[0] for sample in data_samples])
        bad = (labels >= self.num_classes) & (labels != self.ignore_index)
        if bad.any():
            raise ValueError(
                f'training labels hold {int(labels[bad][0])}, neither a class '
                f'below num_classes={self.num_classes} nor ignore_index='
                f'{self.ignore_index}')
        labels = nearest_resize_label(labels, boundary_logits.shape[-2:])
        bg_pos, fg_pos, neg = pair_labels(labels, self.radius,
                                          self.num_classes, self.ignore_index)
        affinity = path_affinities(
            torch.sigmoid(boundary_logits[:, 0]), self.radius)
        pos_term = -torch.log(affinity + 1e-5)
        neg_term = -torch.log(1. + 1e-5 - affinity)
        bg_loss = (bg_pos * pos_term).sum() / (bg_pos.sum() + 1e-5)
        fg_loss = (fg_pos * pos_term).sum() / (fg_pos.sum() + 1e-5)
        neg_loss = (neg * neg_term).sum() / (neg.sum() + 1e-5)
        # train_irn: ((bg / 2 + fg / 2) + neg) / 2, split into terms.
        return dict(
            loss_bg_pos=bg_loss / 4,
            loss_fg_pos=fg_loss / 4,
            loss_neg=neg_loss / 2)
