"""WeCLIP's decoder: the fusion of frozen CLIP's intermediate features and a
light transformer."""
from collections import OrderedDict
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.models.text_encoder.clip_text_encoder import QuickGELU
from mmseg.registry import MODELS
from torch import Tensor

from mmwsss.utils.errors import InputValueError
from ..losses.balanced_seg_loss import balanced_seg_loss
from ..utils.weclip_labels import affinity_labels, affinity_loss


class ResidualAttentionBlock(nn.Module):
    """CLIP's pre-norm transformer block on sequence-first tokens
    ``[L, B, C]``: ``x + attn(ln_1(x))``, then ``x + mlp(ln_2(x))`` with a
    QuickGELU MLP of ``mlp_ratio`` times the width."""

    def __init__(self, width: int, num_heads: int, mlp_ratio: int = 4):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, num_heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(
            OrderedDict([('c_fc', nn.Linear(width, width * mlp_ratio)),
                         ('gelu', QuickGELU()),
                         ('c_proj', nn.Linear(width * mlp_ratio, width))]))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x: Tensor) -> Tensor:
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


@MODELS.register_module()
class WeCLIPHead(BaseModule):
    """The decoder of WeCLIP (Zhang et al., "Frozen CLIP: A Strong Backbone
    for Weakly Supervised Semantic Segmentation", CVPR 2024; official
    ``WeCLIP_model/segformer_head.py`` and ``Decoder/TransDecoder.py``).

    Fusion: each of the ``num_inputs`` frozen CLIP feature maps (the patch
    tokens of blocks 0..10) goes through its own MLP ``Linear(in, C) - ReLU
    - Linear(C, C)`` on every token; the results are concatenated, fused by
    a 1x1 convolution to ``C`` channels and dropped out (``Dropout2d``).
    The fused map ``F`` gives the affinity ``sigmoid(F^T F)`` that the
    affinity loss trains and WeCLIP's RFM reads. A light transformer
    (``num_layers`` CLIP-style pre-norm blocks of width ``C``, QuickGELU
    MLPs, no position embedding) and a 1x1 convolution give the logits at
    the features' stride (1/16).

    The names follow the official ones so that a trained model converts by
    a key map (:func:`mmwsss.models.utils.weclip_checkpoint
    .convert_weclip`): ``fusion_mlps.i.{0,2}`` are ``linears_modulelist.i
    .{proj,proj_2}``, ``fuse_conv`` ``linear_fuse``, ``layers.i``
    ``decoder.transformer.resblocks.i`` and ``conv_seg`` ``linear_pred``.

    Args:
        in_channels (int): Width of the CLIP features (768 for ViT-B/16).
        num_inputs (int): Feature maps fused (11: blocks 0..10).
        channels (int): Width of the fusion and the transformer (256).
        num_layers (int): Transformer blocks (3).
        num_heads (int): Attention heads (8).
        mlp_ratio (int): Hidden width of the blocks' MLPs over ``channels``
            (4).
        num_classes (int): Classes, background included (VOC 21).
        dropout_ratio (float): ``Dropout2d`` after the fusion (0.1).
        loss_seg_weight (float): Weight of the balanced cross entropy (1).
        loss_aff_weight (float): Weight of the affinity loss (0.1).
        aff_radius (int): Radius of the affinity pairs in cells (8).
        ignore_index (int): The unsure label (255).
        init_cfg (dict, optional): Initialisation config; default
            PyTorch's (as the official code).
    """

    def __init__(self,
                 in_channels: int = 768,
                 num_inputs: int = 11,
                 channels: int = 256,
                 num_layers: int = 3,
                 num_heads: int = 8,
                 mlp_ratio: int = 4,
                 num_classes: int = 21,
                 dropout_ratio: float = 0.1,
                 loss_seg_weight: float = 1.0,
                 loss_aff_weight: float = 0.1,
                 aff_radius: int = 8,
                 ignore_index: int = 255,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if channels % num_heads:
            raise InputValueError(
                f'decode_head.channels ({channels}) must be a multiple of '
                f'decode_head.num_heads ({num_heads})')
        self.in_channels = in_channels
        self.num_inputs = num_inputs
        self.channels = channels
        self.num_classes = num_classes
        self.loss_seg_weight = loss_seg_weight
        self.loss_aff_weight = loss_aff_weight
        self.aff_radius = aff_radius
        self.ignore_index = ignore_index
        self.fusion_mlps = nn.ModuleList([
            nn.Sequential(
                nn.Linear(in_channels, channels), nn.ReLU(),
                nn.Linear(channels, channels)) for _ in range(num_inputs)
        ])
        self.fuse_conv = nn.Conv2d(channels * num_inputs, channels, 1)
        self.dropout = nn.Dropout2d(dropout_ratio)
        self.layers = nn.ModuleList([
            ResidualAttentionBlock(channels, num_heads, mlp_ratio)
            for _ in range(num_layers)
        ])
        self.conv_seg = nn.Conv2d(channels, num_classes, 1)

    def fuse(self, inputs: Sequence[Tensor]) -> Tensor:
        """The fused features ``[B, C, h, w]`` of ``num_inputs`` maps
        ``[B, in_channels, h, w]``."""
        if len(inputs) != self.num_inputs:
            raise InputValueError(
                f'WeCLIPHead fuses decode_head.num_inputs='
                f'{self.num_inputs} feature maps, got {len(inputs)}')
        batch, _, height, width = inputs[0].shape
        maps = [
            mlp(x.flatten(2).transpose(1, 2).float()).transpose(1, 2)
            .reshape(batch, -1, height, width)
            for mlp, x in zip(self.fusion_mlps, inputs)
        ]
        return self.dropout(self.fuse_conv(torch.cat(maps, dim=1)))

    def decode(self, fused: Tensor) -> Tensor:
        """The transformer and the classifier: logits ``[B, K, h, w]``."""
        batch, channels, height, width = fused.shape
        x = fused.flatten(2).permute(2, 0, 1)  # [h * w, B, C]
        for layer in self.layers:
            x = layer(x)
        x = x.permute(1, 2, 0).reshape(batch, channels, height, width)
        return self.conv_seg(x)

    @staticmethod
    def feature_affinity(fused: Tensor) -> Tensor:
        """``sigmoid(F^T F)`` ``[B, h * w, h * w]`` of the fused features
        (the official ``attn_pred``)."""
        flat = fused.flatten(2)
        return torch.sigmoid(flat.transpose(1, 2) @ flat)

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """Logits ``[B, K, h, w]``."""
        return self.decode(self.fuse(inputs))

    def forward_with_affinity(self,
                              inputs: Sequence[Tensor]
                              ) -> Tuple[Tensor, Tensor]:
        """Logits ``[B, K, h, w]`` and the affinity ``[B, hw, hw]``."""
        fused = self.fuse(inputs)
        return self.decode(fused), self.feature_affinity(fused)

    def loss_by_feat(self, seg_logits: Tensor, affinity: Tensor,
                     pseudo_labels: Tensor) -> Dict[str, Tensor]:
        """WeCLIP's losses: the balanced cross entropy of the logits
        (bilinearly upsampled to the labels) against the pseudo labels,
        and the affinity loss against the pairs of the labels downsampled
        to the feature grid (nearest). A batch whose labels are all
        background (or all foreground) gets the one cross entropy that is
        defined, halved, where the official loss would be NaN
        (:func:`~mmwsss.models.losses.balanced_seg_loss`).

        Args:
            seg_logits (Tensor): ``[B, K, h, w]``.
            affinity (Tensor): ``[B, h * w, h * w]``.
            pseudo_labels (Tensor): ``[B, H, W]`` int64.
        """
        logits = F.interpolate(
            seg_logits,
            size=pseudo_labels.shape[-2:],
            mode='bilinear',
            align_corners=False)
        pairs = affinity_labels(pseudo_labels, seg_logits.shape[-2:],
                                self.aff_radius, self.ignore_index)
        # A term without pixels counts 0, where the official is NaN.
        loss_seg = balanced_seg_loss(logits, pseudo_labels, self.ignore_index)
        return dict(
            loss_seg=self.loss_seg_weight * loss_seg,
            loss_aff=self.loss_aff_weight * affinity_loss(affinity, pairs))
