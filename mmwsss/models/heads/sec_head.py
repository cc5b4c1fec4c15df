"""SEC's segmentation head and its seed, expand and constrain losses."""
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.registry import MODELS
from mmseg.utils import ConfigType, SampleList
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from ..utils.sec_crf import sec_crf
from .cam_head import stack_img_labels

#: SEC's ``min_prob``: added to the softmax before renormalising, and the
#: floor of the CRF posterior, so that no log in the losses is infinite.
SEC_MIN_PROB = 1e-4


def sec_softmax(logits: Tensor, min_prob: float = SEC_MIN_PROB) -> Tensor:
    """SEC's ``SoftmaxLayer``: softmax over classes plus ``min_prob``,
    renormalised."""
    probs = logits.softmax(dim=1) + min_prob
    return probs / probs.sum(dim=1, keepdim=True)


def gwrp_decay(decay: float, num_positions: int,
               reference_positions: Optional[int] = None) -> float:
    """The GWRP decay for an output of ``num_positions`` cells that weights
    the same *fraction* of the image as ``decay`` does on
    ``reference_positions`` cells: ``decay ** (reference / num)``.
    ``None`` keeps ``decay``."""
    if reference_positions is None:
        return decay
    return decay**(reference_positions / num_positions)


def global_weighted_rank_pooling(maps: Tensor, decay: float) -> Tensor:
    """Global weighted rank pooling (SEC, Eq. 4): the scores of each map
    sorted in descending order, weighted by ``decay ** j`` at rank ``j`` and
    normalised by the sum of the weights. ``decay`` 0 is max pooling, 1 is
    average pooling.

    Args:
        maps (Tensor): ``[N, C, h, w]``.
        decay (float): ``d`` in (0, 1].

    Returns:
        Tensor: ``[N, C]``.
    """
    ranked = maps.flatten(2).sort(dim=2, descending=True).values
    # Float64 weights as SEC's NumPy ones: decay ** 1680 is about 1e-3.
    weights = decay**torch.arange(
        ranked.shape[2], dtype=torch.float64, device=maps.device)
    weights = (weights / weights.sum()).to(maps.dtype)
    return (ranked * weights).sum(dim=2)


def seed_loss(probs: Tensor, cues: Tensor) -> Tensor:
    """SEC's seeding loss (``SeedLossLayer``): the mean over images of the
    negative log-probability of the cue classes, averaged over the cues of
    each image. An image without any cue adds zero (SEC's layer divides by
    zero; its training images all have cues).

    Args:
        probs (Tensor): ``[N, C, h, w]`` class probabilities.
        cues (Tensor): ``[N, C, h, w]`` 0/1 localization cues.

    Returns:
        Tensor: Scalar loss.
    """
    count = cues.sum(dim=(1, 2, 3))
    total = (cues * probs.log()).sum(dim=(1, 2, 3))
    return -(total / count.clamp(min=1)).mean()


def expand_loss(probs: Tensor,
                img_labels: Tensor,
                decay_fg: float = 0.996,
                decay_bg: float = 0.999) -> Tensor:
    """SEC's expansion loss (``ExpandLossLayer``, Eq. 3-4): GWRP scores of
    the present foreground classes (decay ``decay_fg``) and of the
    background, which every image holds (``decay_bg``), should be high;
    the *maximum* of every absent class should be low. Each of the three
    terms is averaged over its classes per image, then over the images, and
    the terms are summed. A term with no class in an image (no present or
    no absent foreground class) adds zero for that image (SEC's layer
    divides by zero; no VOC image holds all or none of the 20 classes).

    Args:
        probs (Tensor): ``[N, 1 + K, h, w]`` probabilities, background first.
        img_labels (Tensor): ``[N, K]`` multi-hot image-level labels.
        decay_fg (float): GWRP decay of the foreground classes.
        decay_bg (float): GWRP decay of the background.

    Returns:
        Tensor: Scalar loss.
    """
    fg = probs[:, 1:]
    present = (img_labels > 0.5).to(probs.dtype)
    absent = 1 - present
    fg_pooled = global_weighted_rank_pooling(fg, decay_fg)
    fg_max = fg.flatten(2).max(dim=2).values
    bg_pooled = global_weighted_rank_pooling(probs[:, :1], decay_bg)[:, 0]
    loss_present = -(present * fg_pooled.log()).sum(dim=1) / present.sum(
        dim=1).clamp(min=1)
    loss_absent = -(absent * torch.log(1 - fg_max)).sum(dim=1) / absent.sum(
        dim=1).clamp(min=1)
    loss_bg = -bg_pooled.log()
    return loss_present.mean() + loss_absent.mean() + loss_bg.mean()


def constrain_loss(probs: Tensor, crf_probs: Tensor) -> Tensor:
    """SEC's constrain-to-boundary loss (``ConstrainLossLayer``): the mean
    over images and cells of ``KL(Q || P)``, where ``Q`` is the dense-CRF
    posterior of the prediction, a constant (SEC's ``CRFLayer`` passes no
    gradient back).

    Args:
        probs (Tensor): ``[N, C, h, w]`` predicted probabilities ``P``.
        crf_probs (Tensor): ``[N, C, h, w]`` CRF posterior ``Q``, floored.

    Returns:
        Tensor: Scalar loss.
    """
    q = crf_probs.detach()
    return (q * torch.log(q / probs)).sum(dim=1).mean()


def crf_posteriors(logits: Tensor,
                   images: Tensor,
                   scale_factor: float = 12.0,
                   iterations: int = 10,
                   min_prob: float = SEC_MIN_PROB) -> Tensor:
    """SEC's ``CRFLayer``: the dense CRF of the raw scores on the image
    shrunk to the output's size (bilinear with corners aligned, as
    ``scipy.ndimage.zoom(order=1)``, then rounded to integers), floored at
    ``min_prob`` and renormalised.

    Args:
        logits (Tensor): ``[N, C, h, w]`` raw scores.
        images (Tensor): ``[N, 3, H, W]`` images in [0, 255], as the network
            saw them before normalisation.
        scale_factor (float): SEC: 12 (321x321 input, 41x41 output).
        iterations (int): Mean-field iterations.
        min_prob (float): Floor of the posterior.

    Returns:
        Tensor: ``[N, C, h, w]`` posterior on the logits' device.
    """
    size = logits.shape[-2:]
    small = F.interpolate(
        images.detach().float(), size=size, mode='bilinear',
        align_corners=True)
    small = small.round().clamp(0, 255).to(torch.uint8)
    small = small.permute(0, 2, 3, 1).cpu().numpy()
    scores = logits.detach().float().cpu().numpy()
    result = np.stack([
        sec_crf(small[i], scores[i], iterations, scale_factor)
        for i in range(len(scores))
    ])
    result = np.maximum(result, min_prob)
    result = result / result.sum(axis=1, keepdims=True)
    return torch.from_numpy(result).to(logits)


@MODELS.register_module()
class SECHead(BaseDecodeHead):
    """DeepLab-LargeFOV's classifier trained with SEC's three losses.

    From "Seed, Expand and Constrain: Three Principles for
    Weakly-Supervised Image Segmentation" (Kolesnikov & Lampert, ECCV
    2016). The layers follow SEC's ``train.prototxt`` from VGG's ``pool5``
    on: 3x3 max pooling and 3x3 average pooling (stride 1), ``fc6`` (3x3,
    dilation 12), ``fc7`` (1x1), each with ReLU and element-wise dropout
    0.5, and ``fc8`` (1x1, ``conv_seg``) to the classes, background first.

    Its loss takes no dense ground truth: ``gt_sem_seg`` holds the
    localization cues (class index where a cue says so, ``ignore_index``
    elsewhere), shrunk to the output by nearest neighbour, and
    ``gt_img_labels`` the image-level labels. The loss is the sum of the
    seeding loss on the cues, the expansion loss by global weighted rank
    pooling, and the constrain loss against the dense CRF of the prediction
    on the image shrunk to the output, which is why :meth:`loss` needs the
    un-normalised images (:class:`SECSegmentor` passes them).

    Args:
        in_channels (int): Channels of the backbone output.
        channels (int): Channels of ``fc6`` and ``fc7`` (SEC: 1024).
        num_classes (int): Classes including the background (VOC: 21).
        dilation (int): Dilation of ``fc6`` (LargeFOV: 12).
        dropout_ratio (float): Dropout after ``fc6`` and ``fc7``.
        decay_fg (float): GWRP decay of the foreground (SEC: 0.996).
        decay_bg (float): GWRP decay of the background (SEC: 0.999).
        decay_positions (int, optional): Output cells the decays are meant
            for (SEC: 41 x 41). On an output of ``n`` cells each decay
            becomes ``decay ** (decay_positions / n)``, so that GWRP weights
            the same fraction of the image; identical to SEC's on a 41x41
            output. ``None`` uses the decays as given.
        crf_scale_factor (float): Divides the CRF's spatial stds (SEC: 12).
        crf_iterations (int): Mean-field iterations (SEC: 10).
        min_prob (float): SEC's probability floor.
        loss_weights (Sequence[float]): Weights of the seed, expand and
            constrain losses (SEC: 1, 1, 1).
        **kwargs: See :class:`BaseDecodeHead`.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 num_classes: int,
                 dilation: int = 12,
                 dropout_ratio: float = 0.5,
                 decay_fg: float = 0.996,
                 decay_bg: float = 0.999,
                 decay_positions: Optional[int] = 41 * 41,
                 crf_scale_factor: float = 12.0,
                 crf_iterations: int = 10,
                 min_prob: float = SEC_MIN_PROB,
                 loss_weights: Sequence[float] = (1.0, 1.0, 1.0),
                 **kwargs) -> None:
        super().__init__(
            in_channels,
            channels,
            num_classes=num_classes,
            dropout_ratio=dropout_ratio,
            **kwargs)
        if len(loss_weights) != 3:
            raise InputValueError('loss_weights are the seed, expand and '
                                  f'constrain weights, got {loss_weights}')
        # VGG's pool5 and LargeFOV's pool5a; Caffe's average pooling counts
        # the padding.
        self.pool5 = nn.MaxPool2d(3, stride=1, padding=1)
        self.pool5a = nn.AvgPool2d(
            3, stride=1, padding=1, count_include_pad=True)
        self.fc6 = nn.Conv2d(
            self.in_channels,
            channels,
            3,
            padding=dilation,
            dilation=dilation)
        self.fc7 = nn.Conv2d(channels, channels, 1)
        # Caffe's Dropout layer drops single activations, not channels.
        self.drop6 = nn.Dropout(dropout_ratio)
        self.dropout = nn.Dropout(dropout_ratio) if dropout_ratio else None
        self.decay_fg = decay_fg
        self.decay_bg = decay_bg
        self.decay_positions = decay_positions
        self.crf_scale_factor = crf_scale_factor
        self.crf_iterations = crf_iterations
        self.min_prob = min_prob
        self.loss_weights = tuple(float(w) for w in loss_weights)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """Raw class scores (SEC's ``fc8-SEC``) at the backbone's
        resolution."""
        x = self._transform_inputs(inputs)
        x = self.pool5a(self.pool5(x))
        x = self.drop6(F.relu(self.fc6(x)))
        x = F.relu(self.fc7(x))
        return self.cls_seg(x)

    def cue_maps(self, batch_data_samples: SampleList,
                 size: Tuple[int, int]) -> Tensor:
        """``[N, C, h, w]`` 0/1 cues from ``gt_sem_seg`` at the output
        size."""
        labels = self._stack_batch_gt(batch_data_samples).float()
        labels = F.interpolate(labels, size=size, mode='nearest')[:, 0]
        labels = labels.long()
        cued = labels != self.ignore_index
        bad = cued & ((labels < 0) | (labels >= self.num_classes))
        if bad.any():
            raise InputValueError(
                f'cue labels must be in [0, {self.num_classes}) or '
                f'{self.ignore_index}, got {labels[bad].unique().tolist()}')
        cues = F.one_hot(
            labels.where(cued, torch.zeros_like(labels)), self.num_classes)
        cues = cues.permute(0, 3, 1, 2).float()
        return cues * cued[:, None].float()

    def loss(self,
             inputs: List[Tensor],
             batch_data_samples: SampleList,
             train_cfg: ConfigType,
             images: Optional[Tensor] = None) -> dict:
        """SEC's losses.

        Args:
            inputs (list[Tensor]): Backbone outputs.
            batch_data_samples (list[SegDataSample]): With the cues as
                ``gt_sem_seg`` and ``gt_img_labels``.
            train_cfg (dict): Unused.
            images (Tensor): ``[N, 3, H, W]`` un-normalised input images,
                for the constrain loss's CRF.

        Returns:
            dict: ``loss_seed``, ``loss_expand``, ``loss_constrain``.
        """
        if images is None:
            raise InputValueError(
                'SECHead.loss needs the un-normalised images '
                'for the CRF of its constrain loss; train it '
                'in SECSegmentor')
        return self.loss_by_feat(
            self.forward(inputs), batch_data_samples, images)

    def loss_by_feat(self, seg_logits: Tensor, batch_data_samples: SampleList,
                     images: Tensor) -> dict:
        """The three losses of the raw scores ``seg_logits``."""
        size = seg_logits.shape[-2:]
        probs = sec_softmax(seg_logits, self.min_prob)
        img_labels = stack_img_labels(batch_data_samples).to(probs)
        if img_labels.shape[1] != self.num_classes - 1:
            raise InputValueError(
                f'image-level labels have {img_labels.shape[1]} classes but '
                f'the head has num_classes={self.num_classes} (background '
                'included)')
        cues = self.cue_maps(batch_data_samples, size)
        positions = size[0] * size[1]
        crf_probs = crf_posteriors(seg_logits, images, self.crf_scale_factor,
                                   self.crf_iterations, self.min_prob)
        seed_weight, expand_weight, constrain_weight = self.loss_weights
        return dict(
            loss_seed=seed_weight * seed_loss(probs, cues),
            loss_expand=expand_weight * expand_loss(
                probs, img_labels,
                gwrp_decay(self.decay_fg, positions, self.decay_positions),
                gwrp_decay(self.decay_bg, positions, self.decay_positions)),
            loss_constrain=constrain_weight *
            constrain_loss(probs, crf_probs))
