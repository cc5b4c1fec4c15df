from typing import Dict, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from mmseg.utils import OptMultiConfig, SampleList
from torch import Tensor

from mmwsss.models.utils.boundary_affinity import pair_labels
from mmwsss.models.utils.pair_geometry import search_directions, source_window
from mmwsss.utils.errors import InputValueError


def block_mode_label(label: Tensor, factor: int, num_classes: int,
                     ignore_index: int = 255) -> Tensor:
    """Down-scale label maps by taking each ``factor x factor`` block's most
    frequent label (``ignore_index`` counted as a label of its own).

    PSA average-pools its two CRF score maps by 8 before taking their
    argmax; with the combined hard label, the most frequent label of the
    block is the counterpart.

    Args:
        label (Tensor): ``[B, H, W]`` labels, ``H`` and ``W`` multiples of
            ``factor``.
        factor (int): Block size.
        num_classes (int): Classes including the background.
        ignore_index (int): The "unsure" label.

    Returns:
        Tensor: ``[B, H // factor, W // factor]`` labels.
    """
    index = torch.where(label == ignore_index,
                        torch.full_like(label, num_classes), label)
    one_hot = F.one_hot(index.long(), num_classes + 1).permute(0, 3, 1, 2)
    counts = F.avg_pool2d(one_hot.float(), factor, factor)
    mode = counts.argmax(dim=1)
    return torch.where(mode == num_classes,
                       torch.full_like(mode, ignore_index), mode)


def window_feature_affinities(features: Tensor, radius: int) -> Tensor:
    """AffinityNet's affinities ``exp(-mean_c |f_i - f_j|)`` of the pairs of
    PSA's ``get_indices_of_pairs``: every source of the window
    :func:`~mmwsss.models.utils.pair_geometry.source_window` with every
    forward direction.

    Args:
        features (Tensor): ``[B, C, h, w]``.
        radius (int): Exclusive pair radius (PSA: 5).

    Returns:
        Tensor: ``[B, D, h - radius + 1, w - 2 * (radius - 1)]``.
    """
    rows, cols = source_window(*features.shape[-2:], radius)
    source = features[..., rows, cols]
    return torch.stack([
        torch.exp(-(features[..., rows.start + dy:rows.stop + dy,
                             cols.start + dx:cols.stop + dx] -
                    source).abs().mean(dim=1))
        for dy, dx in search_directions(radius)
    ], dim=1)


@MODELS.register_module()
class AffinityHead(BaseModule):
    """AffinityNet's feature branch and its pair loss.

    From "Learning Pixel-level Semantic Affinity with Image-level
    Supervision for Weakly Supervised Semantic Segmentation" (Ahn & Kwak,
    CVPR 2018): three backbone levels at stride 8 are reduced by bias-free
    1x1 convolutions with ELU, concatenated and mixed by a bias-free 1x1
    convolution with ELU (PSA's ``f8_3``, ``f8_4``, ``f8_5``, ``f9``). The
    affinity of two pixels is ``exp(-mean_c |f_i - f_j|)``; pairs within
    ``radius`` whose labels agree are pulled to 1 (background and foreground
    pairs normalised apart), pairs whose labels differ pushed to 0:
    ``loss = bg / 4 + fg / 4 + neg / 2`` as PSA's ``train_aff.py``.

    Args:
        in_channels (Sequence[int]): Channels of the three levels (PSA's
            ResNet-38: 512, 1024, 4096; ResNet-50: 512, 1024, 2048).
        channels (Sequence[int]): Reduced channels. Default: (64, 128, 256).
        num_classes (int): Classes including the background, to check the
            labels. Default: 21.
        radius (int): Pair radius on the stride-8 grid. Default: 5.
        label_stride (int): Stride of the feature grid. Default: 8.
        ignore_index (int): Unsure label. Default: 255.
        init_cfg (dict, optional): Initialization config; default PSA's
            (Kaiming normal reductions, Xavier uniform gain 4 mixing).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: Sequence[int] = (64, 128, 256),
                 num_classes: int = 21,
                 radius: int = 5,
                 label_stride: int = 8,
                 ignore_index: int = 255,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 3 or len(channels) != 3:
            raise InputValueError(
                'AffinityHead reads three levels: in_channels '
                f'{in_channels}, channels {channels}')
        self.reductions = nn.ModuleList(
            nn.Conv2d(i, c, 1, bias=False)
            for i, c in zip(in_channels, channels))
        self.fuse = nn.Conv2d(sum(channels), sum(channels), 1, bias=False)
        self.num_classes = num_classes
        self.radius = radius
        self.label_stride = label_stride
        self.ignore_index = ignore_index

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            return super().init_weights()
        for conv in self.reductions:
            nn.init.kaiming_normal_(conv.weight)
        nn.init.xavier_uniform_(self.fuse.weight, gain=4)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Affinity features ``[N, sum(channels), h, w]`` of three levels
        of one size."""
        reduced = [F.elu(conv(x)) for conv, x in zip(self.reductions, feats)]
        return F.elu(self.fuse(torch.cat(reduced, dim=1)))

    def loss(self, feats: Sequence[Tensor],
             data_samples: SampleList) -> Dict[str, Tensor]:
        """PSA's affinity loss against the labels of ``data_samples``."""
        return self.loss_by_feat(self.forward(feats), data_samples)

    def loss_by_feat(self, features: Tensor,
                     data_samples: SampleList) -> Dict[str, Tensor]:
        labels = torch.stack(
            [s.gt_sem_seg.data[0] for s in data_samples]).to(features.device)
        bad = (labels >= self.num_classes) & (labels != self.ignore_index)
        if bad.any():
            raise InputValueError(
                f'training labels hold {int(labels[bad][0])}, '
                f'neither a class of {self.num_classes} nor '
                f'{self.ignore_index}')
        labels = block_mode_label(labels, self.label_stride,
                                  self.num_classes, self.ignore_index)
        if labels.shape[-2:] != features.shape[-2:]:
            raise InputValueError(
                f'labels pooled to {tuple(labels.shape[-2:])} '
                'do not match the feature grid '
                f'{tuple(features.shape[-2:])}')
        aff = window_feature_affinities(features, self.radius)
        bg_pos, fg_pos, neg = pair_labels(labels, self.radius,
                                          self.num_classes, self.ignore_index)
        bg = (-bg_pos * torch.log(aff + 1e-5)).sum() / (bg_pos.sum() + 1e-5)
        fg = (-fg_pos * torch.log(aff + 1e-5)).sum() / (fg_pos.sum() + 1e-5)
        neg = (-neg * torch.log(1. + 1e-5 - aff)).sum() / (neg.sum() + 1e-5)
        return dict(loss_bg_pos=bg / 4, loss_fg_pos=fg / 4, loss_neg=neg / 2)
