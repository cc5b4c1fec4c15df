import math
from typing import Dict, List

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from mmwsss.utils.errors import InputValueError


def resnet_levels(backbone: torch.nn.Module, inputs: Tensor) -> List[Tensor]:
    """The five feature levels IRN reads from a ResNet: the stem output
    after max-pooling, then the output of each residual stage.

    mmseg's ``ResNet.forward`` returns the stages only, so the stem is run
    here the same way (deep stem, or conv1 / norm1 / ReLU).
    """
    if backbone.deep_stem:
        x = backbone.stem(inputs)
    else:
        x = backbone.relu(backbone.norm1(backbone.conv1(inputs)))
    x = backbone.maxpool(x)
    levels = [x]
    for name in backbone.res_layers:
        x = getattr(backbone, name)(x)
        levels.append(x)
    return levels


@MODELS.register_module()
class IRNBoundaryNet(BaseSegmentor):
    """The class-boundary part of IRNet, trained on inter-pixel relations
    mined from CAMs; its boundary map drives the random walk that turns CAMs
    into semantic pseudo labels.

    From "Weakly Supervised Learning of Instance Segmentation with
    Inter-pixel Relations" (Ahn, Cho & Kwak, CVPR 2019). As in the official
    network, the backbone only supplies features: every level is computed
    without gradient and its BatchNorm stays in eval mode, so only the
    boundary head learns. IRN's displacement-field branch serves instance
    masks only and does not affect the boundary branch (its features are
    detached from the same backbone); it is left out.

    Training labels come as ``gt_sem_seg``: class indices with 255 where the
    CAMs are unsure (IRN's ``ir_label``), padded with 255.

    Args:
        backbone (dict): An mmseg ``ResNet`` / ``ResNetV1c`` config; the stem
            output and the four stages feed the head.
        boundary_head (dict): ``IRNBoundaryHead`` config. Its
            ``scale_factors`` default to the backbone's level strides over
            the finest one (IRN's strides (1, 2, 2, 1): 1, 1, 2, 4, 4).
        test_cfg (dict, optional): ``crop_size`` (default 512) and
            ``pad_to_crop`` (default True). With ``pad_to_crop=True``
            inference pads each image to ``crop_size``, as IRN's
            ``EdgeDisplacement``; with ``False`` it runs the image at its
            own size, as ReCAM's ``EdgeDisplacement``, whose padding line
            is commented out (``crop_size`` is then unused). The head's
            GroupNorm takes its statistics over the whole map, padding
            included, so the two boundary maps differ.
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 boundary_head: ConfigType,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if not hasattr(self.backbone, 'res_layers') or not hasattr(
                self.backbone, 'strides'):
            raise TypeError(f'IRNBoundaryNet needs an mmseg ResNet backbone, '
                            f'got {type(self.backbone).__name__}')
        # Stem: stride-2 conv and stride-2 max-pool.
        self.level_strides = [4]
        for stride in self.backbone.strides:
            self.level_strides.append(self.level_strides[-1] * stride)
        self.output_stride = self.level_strides[0]
        boundary_head = dict(boundary_head)
        boundary_head.setdefault(
            'scale_factors',
            [s // self.output_stride for s in self.level_strides])
        self.boundary_head = MODELS.build(boundary_head)
        # The backbone never trains: no optimiser state, no DDP unused
        # parameter errors.
        self.backbone.requires_grad_(False)
        self.test_cfg = dict(crop_size=512, pad_to_crop=True)
        self.test_cfg.update(test_cfg or {})
        self._check_test_cfg()

    def _check_test_cfg(self) -> None:
        pad_to_crop = self.test_cfg['pad_to_crop']
        if not isinstance(pad_to_crop, bool):
            raise InputValueError('test_cfg.pad_to_crop must be True or '
                                  f'False, got {pad_to_crop!r}')
        if not pad_to_crop:
            return
        crop = self.test_cfg['crop_size']
        sizes = (crop, crop) if isinstance(crop, int) else crop
        if (not isinstance(sizes, (tuple, list)) or len(sizes) != 2
                or not all(isinstance(s, int) and s > 0 for s in sizes)):
            raise InputValueError(
                'test_cfg.crop_size must be a positive int or (h, w) of '
                f'positive ints when test_cfg.pad_to_crop is True, got '
                f'{crop!r}')

    def train(self, mode: bool = True) -> 'IRNBoundaryNet':
        """Set the mode, keeping the backbone (its BatchNorm) in eval."""
        super().train(mode)
        self.backbone.eval()
        return self

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """The five backbone levels of a normalised batch, detached."""
        with torch.no_grad():
            return [x.detach() for x in resnet_levels(self.backbone, inputs)]

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Boundary logits ``[N, 1, h, w]`` at stride 4."""
        return self.boundary_head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """IRN's class-boundary affinity loss; see
        :class:`~mmwsss.models.heads.IRNBoundaryHead`."""
        return self.boundary_head.loss(self.extract_feat(inputs), data_samples)

    def _padded_size(self, size: int, crop: int) -> int:
        # EdgeDisplacement pads to the crop size; its negative padding would
        # crop a larger image, which is padded to a multiple of 16 instead.
        return crop if size <= crop else int(math.ceil(size / 16) * 16)

    def predict_boundary(self, inputs: Tensor) -> Tensor:
        """Boundary probabilities as IRN's (or ReCAM's) ``EdgeDisplacement``.

        Each image and its horizontal flip run in one batch, padded (zeros,
        bottom and right) to ``test_cfg['crop_size']`` if
        ``test_cfg['pad_to_crop']`` (IRN), else at the image's own size
        (ReCAM); the two logits are cropped to the image's grid and averaged
        (the flipped one flipped back) before the sigmoid.

        Args:
            inputs (Tensor): Normalised images ``[N, 3, H, W]``.

        Returns:
            Tensor: ``[N, (H - 1) // 4 + 1, (W - 1) // 4 + 1]`` in [0, 1].
        """
        num, _, height, width = inputs.shape
        # The flip comes first: EdgeDisplacement receives the image and its
        # flip stacked, and pads both at the bottom and right.
        batch = torch.cat([inputs, inputs.flip(-1)])
        if self.test_cfg['pad_to_crop']:
            crop = self.test_cfg['crop_size']
            crop_h, crop_w = (crop, crop) if isinstance(crop, int) else crop
            pad_h = self._padded_size(height, crop_h)
            pad_w = self._padded_size(width, crop_w)
            batch = F.pad(batch, [0, pad_w - width, 0, pad_h - height])
        stride = self.output_stride
        grid_h, grid_w = (height - 1) // stride + 1, (width - 1) // stride + 1
        logits = self._forward(batch)[:, 0, :grid_h, :grid_w]
        return torch.sigmoid(logits[:num] / 2 + logits[num:].flip(-1) / 2)

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Boundary probabilities ``[N, 1, H, W]`` of one pass (no flip),
        upsampled to the input size."""
        height, width = inputs.shape[-2:]
        boundary = torch.sigmoid(self._forward(inputs))
        return self._to_input_size(boundary, height, width)

    def _to_input_size(self, boundary: Tensor, height: int,
                       width: int) -> Tensor:
        # As IRN upsamples the random walk: by the stride, then cropped.
        boundary = F.interpolate(
            boundary,
            scale_factor=self.output_stride,
            mode='bilinear',
            align_corners=False)
        return boundary[..., :height, :width]

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Boundary probabilities (``seg_logits``, one channel) and the
        boundary mask at 0.5 (``pred_sem_seg``) at each image's original
        size."""
        height, width = inputs.shape[-2:]
        if data_samples is None:
            data_samples = [
                SegDataSample(metainfo=dict(img_shape=(height, width)))
                for _ in range(inputs.shape[0])
            ]
        for i, sample in enumerate(data_samples):
            # Each image without the batch padding: IRN flips the image
            # itself, not a padded one.
            h, w = sample.metainfo.get('img_shape', (height, width))
            with torch.no_grad():
                boundary = self.predict_boundary(inputs[i:i + 1, :, :h, :w])
            prob = self._to_input_size(boundary[:, None], h, w)
            ori_shape = tuple(sample.metainfo.get('ori_shape', (h, w)))
            if ori_shape != (h, w):
                prob = F.interpolate(
                    prob, size=ori_shape, mode='bilinear',
                    align_corners=False)
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=prob[0]),
                    pred_sem_seg=PixelData(data=(prob[0] > 0.5).long())))
        return data_samples
