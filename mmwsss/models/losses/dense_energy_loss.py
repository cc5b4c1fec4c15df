"""The regularised (dense CRF) loss of ToCo, in PyTorch."""
from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.registry import MODELS
from torch import Tensor


def gaussian_filter(features: Tensor, values: Tensor,
                    chunk_size: int = 2048) -> Tensor:
    """``out_i = sum_j exp(-|f_i - f_j|^2 / 2) v_j`` over all pixel pairs
    (the pixel itself included), exactly; the permutohedral lattice of
    rloss's ``bilateralfilter`` approximates this sum.

    Pixels are taken in blocks of ``chunk_size``; the kernel is symmetric,
    so each pair of blocks is computed once and filters both ways (half the
    exponentials of a row-by-row sum), and memory stays at
    ``chunk_size ** 2`` weights.

    Args:
        features (Tensor): ``[N, D, P]`` scaled features.
        values (Tensor): ``[N, K, P]`` values to filter.
        chunk_size (int): Pixels per block.

    Returns:
        Tensor: ``[N, K, P]``.
    """
    out = torch.zeros_like(values)
    sq = (features**2).sum(dim=1)
    num_pixels = features.shape[2]
    for n in range(features.shape[0]):
        f, v, o = features[n], values[n], out[n]
        for i in range(0, num_pixels, chunk_size):
            rows = slice(i, i + chunk_size)
            for j in range(i, num_pixels, chunk_size):
                cols = slice(j, j + chunk_size)
                dist = (sq[n, rows, None] + sq[n, None, cols] -
                        2 * f[:, rows].t() @ f[:, cols]).clamp_(min=0)
                kernel = torch.exp(dist.mul_(-0.5))
                o[:, rows] += v[:, cols] @ kernel.t()
                if j != i:
                    o[:, cols] += v[:, rows] @ kernel
    return out


class _DenseEnergy(torch.autograd.Function):
    """rloss's ``DenseEnergyLossFunction`` as ToCo changes it: the energy
    ``-S^T (G * W S) / N`` of the region-masked probabilities ``S`` with the
    bilateral kernel ``W``, gated by ``G = max(0, roi - max_k p_k)`` (1 on
    unsure pixels); its gradient is the official ``-2 G W S / N`` on the
    region (the gate is a constant)."""

    @staticmethod
    def forward(ctx, images: Tensor, probs: Tensor, sigma_rgb: float,
                sigma_xy: float, rois: Tensor, unlabelled: Tensor) -> Tensor:
        n, k, h, w = probs.shape
        gate = rois - probs.max(dim=1).values
        gate[unlabelled] = 1
        gate = gate.clamp(min=0)
        masked = probs * rois[:, None]
        ys, xs = torch.meshgrid(
            torch.arange(h, dtype=probs.dtype, device=probs.device),
            torch.arange(w, dtype=probs.dtype, device=probs.device),
            indexing='ij')
        position = torch.stack([xs, ys]).expand(n, 2, h, w) / sigma_xy
        features = torch.cat([position, images.to(probs.dtype) / sigma_rgb],
                             dim=1).reshape(n, 5, -1)
        filtered = gaussian_filter(features, masked.reshape(n, k, -1))
        filtered = filtered.reshape(n, k, h, w) * gate[:, None]
        ctx.save_for_backward(filtered, rois)
        return -(masked * filtered).sum() / n

    @staticmethod
    def backward(ctx, grad_output: Tensor):
        filtered, rois = ctx.saved_tensors
        n = filtered.shape[0]
        grad = -2 * grad_output * filtered / n * rois[:, None]
        return None, grad, None, None, None, None


@MODELS.register_module()
class DenseEnergyLoss(nn.Module):
    """The regularised loss of ToCo (Ru et al., CVPR 2023,
    ``DenseEnergyLoss``), after Tang et al., "On Regularized Losses for
    Weakly-supervised CNN Segmentation", ECCV 2018 (rloss).

    The segmentation's softmax, the image and the crop's valid region are
    downscaled by ``scale_factor`` (probabilities bilinear, the rest nearest)
    and the dense CRF energy of the probabilities under a bilateral kernel
    (``sigma_xy * scale_factor`` in pixels, ``sigma_rgb`` in colour) is
    returned times ``loss_weight``. The official code filters with rloss's
    C++ permutohedral lattice, an approximation of this sum; this one sums
    the Gaussian kernel exactly, in PyTorch, on any device (``P^2`` work for
    ``P`` pixels: cheap on a GPU at ToCo's 224x224, slow on a CPU).

    Args:
        loss_weight (float): ToCo: 1e-7 (times its ``w_reg`` 0.05).
        sigma_rgb (float): Colour std on the 0-255 scale (15).
        sigma_xy (float): Position std in full-size pixels (100).
        scale_factor (float): Downscaling before filtering (0.5).
        ignore_index (int): Unsure pseudo-label value (gate 1).
        mean (Sequence[float]): The data preprocessor's RGB mean, to get
            0-255 colours back from normalised images (a segmentor sets
            its own preprocessor's).
        std (Sequence[float]): Its RGB std.
    """

    def __init__(self,
                 loss_weight: float = 1e-7,
                 sigma_rgb: float = 15.0,
                 sigma_xy: float = 100.0,
                 scale_factor: float = 0.5,
                 ignore_index: int = 255,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375)) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.sigma_rgb = sigma_rgb
        self.sigma_xy = sigma_xy
        self.scale_factor = scale_factor
        self.ignore_index = ignore_index
        self.register_buffer(
            'mean', torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer(
            'std', torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: Tensor, logits: Tensor, rois: Tensor,
                labels: Tensor) -> Tensor:
        """The loss.

        Args:
            images (Tensor): ``[B, 3, H, W]`` normalised images.
            logits (Tensor): ``[B, C, H, W]`` segmentation scores at the
                image's size.
            rois (Tensor): ``[B, H, W]`` 1 inside the crop's image, 0 on
                its padding.
            labels (Tensor): ``[B, H, W]`` pseudo labels.
        """
        colours = images * self.std + self.mean
        probs = logits.softmax(dim=1)
        scale = dict(scale_factor=self.scale_factor,
                     recompute_scale_factor=True)
        colours = F.interpolate(colours, **scale)
        probs = F.interpolate(
            probs, mode='bilinear', align_corners=False, **scale)
        rois = F.interpolate(rois[:, None].float(), **scale)[:, 0]
        labels = F.interpolate(labels[:, None].float(), **scale)[:, 0]
        unlabelled = labels.long() == self.ignore_index
        return self.loss_weight * _DenseEnergy.apply(
            colours, probs, self.sigma_rgb, self.sigma_xy * self.scale_factor,
            rois, unlabelled)
