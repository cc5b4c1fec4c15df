"""Pixel-adaptive refinement (PAR) of AFA and ToCo."""
import math
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor

#: The 8 neighbours of a pixel (row, column offsets per unit of dilation),
#: in the order of the official kernels; the centre never counts.
NEIGHBOURS = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0),
              (1, 1))


@MODELS.register_module()
class PAR(nn.Module):
    """Pixel-adaptive refinement (Ru et al., "Learning Affinity from
    Attention: End-to-End Weakly-Supervised Semantic Segmentation with
    Transformers", CVPR 2022; reused by ToCo, CVPR 2023; ``model/PAR.py``).

    Every pixel's 8 neighbours at each dilation (replicate padding) give an
    affinity from colour: ``-(|I_n - I| / (std_n(I_n) + 1e-8) / w1) ** 2``
    averaged over the colour channels (the unbiased std over the neighbours
    only), a softmax over the neighbours, plus ``w2`` times the softmax of
    the same form of their distances (divided by ``w1`` too, as the
    official code does; the weights then sum to ``1 + w2``). The masks are
    then replaced ``num_iter`` times by the affinity-weighted sum of their
    neighbours (the pixel itself is not one).

    Args:
        dilations (Sequence[int]): Neighbour distances (AFA / ToCo:
            1, 2, 4, 8, 12, 24).
        num_iter (int): Propagation steps (10; AFA on COCO 15).
        w1 (float): Temperature of both affinities (0.3).
        w2 (float): Weight of the position affinity (0.01).
    """

    def __init__(self,
                 dilations: Sequence[int] = (1, 2, 4, 8, 12, 24),
                 num_iter: int = 10,
                 w1: float = 0.3,
                 w2: float = 0.01) -> None:
        super().__init__()
        self.dilations = tuple(int(d) for d in dilations)
        self.num_iter = num_iter
        self.w1 = w1
        self.w2 = w2
        distances = [
            d * (math.sqrt(2) if dy and dx else 1.0)
            for d in self.dilations for dy, dx in NEIGHBOURS
        ]
        self.register_buffer(
            'distances', torch.tensor(distances, dtype=torch.float32),
            persistent=False)

    def neighbours(self, x: Tensor) -> Tensor:
        """``[B, C, N, H, W]``: every pixel's neighbours, clamped at the
        border (replicate padding)."""
        height, width = x.shape[-2:]
        out = []
        for d in self.dilations:
            padded = F.pad(x, [d, d, d, d], mode='replicate')
            for dy, dx in NEIGHBOURS:
                out.append(padded[..., d + dy * d:d + dy * d + height,
                                  d + dx * d:d + dx * d + width])
        return torch.stack(out, dim=2)

    def affinity(self, images: Tensor) -> Tensor:
        """``[B, 1, N, H, W]`` weights of each pixel's neighbours."""
        near = self.neighbours(images)
        spread = near.std(dim=2, keepdim=True)
        logits = -((near - images[:, :, None]).abs() / (spread + 1e-8) /
                   self.w1)**2
        colour = logits.mean(dim=1, keepdim=True).softmax(dim=2)
        pos = -(self.distances / (self.distances.std() + 1e-8) /
                self.w1)**2
        return colour + self.w2 * pos.softmax(0)[:, None, None]

    def forward(self, images: Tensor, masks: Tensor) -> Tensor:
        """Refine ``masks`` ``[B, K, h, w]`` (resized to the image,
        bilinear with corners aligned, as the official code does) on
        ``images`` ``[B, 3, H, W]`` (RGB in [0, 1])."""
        masks = F.interpolate(
            masks, size=images.shape[-2:], mode='bilinear',
            align_corners=True)
        weights = self.affinity(images)
        for _ in range(self.num_iter):
            masks = (self.neighbours(masks) * weights).sum(dim=2)
        return masks
