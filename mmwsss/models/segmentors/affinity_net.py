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


@MODELS.register_module()
class AffinityNet(BaseSegmentor):
    """AffinityNet: pixel-pair semantic affinities learned from the
    confident regions of CAMs; a random walk over them turns CAMs into
    pseudo labels.

    From "Learning Pixel-level Semantic Affinity with Image-level
    Supervision for Weakly Supervised Semantic Segmentation" (Ahn & Kwak,
    CVPR 2018). The backbone (fine-tuned, BatchNorm frozen as PSA's) gives
    three levels at stride 8 (its ``out_indices``); the
    :class:`~mmwsss.models.heads.AffinityHead` turns them into affinity
    features and computes PSA's loss. Training labels come as
    ``gt_sem_seg``: class indices, 255 where the two power-background CRF
    maps disagree (see :func:`mmwsss.pseudo_labels.psa_affinity_label`).

    Args:
        backbone (dict): An mmseg ResNet at output stride 8 whose
            ``out_indices`` select the three levels.
        affinity_head (dict): ``AffinityHead`` config.
        test_cfg (dict, optional): ``stride`` of the features (default 8).
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 affinity_head: ConfigType,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.affinity_head = MODELS.build(affinity_head)
        self.test_cfg = dict(stride=8)
        self.test_cfg.update(test_cfg or {})

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """The backbone's three levels of a normalised batch."""
        feats = self.backbone(inputs)
        sizes = {tuple(x.shape[-2:]) for x in feats}
        if len(feats) != 3 or len(sizes) != 1:
            raise InputValueError(
                'AffinityNet needs three backbone levels of one '
                'size (output stride 8); got '
                f'{[tuple(x.shape) for x in feats]}')
        return list(feats)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Affinity features ``[N, C, h, w]``."""
        return self.affinity_head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """PSA's affinity loss; see :class:`AffinityHead`."""
        return self.affinity_head.loss(self.extract_feat(inputs), data_samples)

    def predict_features(self, inputs: Tensor) -> Tensor:
        """Affinity features of whole images as PSA's ``infer_aff.py``: the
        images zero-padded at the bottom and right to a multiple of the
        stride.

        Args:
            inputs (Tensor): Normalised images ``[N, 3, H, W]``.

        Returns:
            Tensor: ``[N, C, ceil(H / 8), ceil(W / 8)]``.
        """
        stride = self.test_cfg['stride']
        height, width = inputs.shape[-2:]
        grid_h, grid_w = math.ceil(height / stride), math.ceil(width / stride)
        padded = F.pad(
            inputs, [0, grid_w * stride - width, 0, grid_h * stride - height])
        return self._forward(padded)[..., :grid_h, :grid_w]

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """The mean affinity of each pixel to its right and lower
        neighbours, ``[N, 1, H, W]``: low along semantic boundaries."""
        features = self.predict_features(inputs)
        right = torch.exp(-(features[..., :, 1:] -
                            features[..., :, :-1]).abs().mean(dim=1))
        down = torch.exp(-(features[..., 1:, :] -
                           features[..., :-1, :]).abs().mean(dim=1))
        affinity = (F.pad(right, (0, 1), value=1) +
                    F.pad(down, (0, 0, 0, 1), value=1))[:, None] / 2
        affinity = F.interpolate(
            affinity,
            scale_factor=self.test_cfg['stride'],
            mode='bilinear',
            align_corners=False)
        return affinity[..., :inputs.shape[-2], :inputs.shape[-1]]

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """The neighbour affinity map (``seg_logits``) and its low-affinity
        mask below 0.5 (``pred_sem_seg``) of each image."""
        height, width = inputs.shape[-2:]
        if data_samples is None:
            data_samples = [
                SegDataSample(metainfo=dict(img_shape=(height, width)))
                for _ in range(inputs.shape[0])
            ]
        for i, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', (height, width))
            with torch.no_grad():
                affinity = self.encode_decode(inputs[i:i + 1, :, :h, :w], [])
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=affinity[0]),
                    pred_sem_seg=PixelData(data=(affinity[0] < 0.5).long())))
        return data_samples
