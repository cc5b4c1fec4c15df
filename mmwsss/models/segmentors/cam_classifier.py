from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList)
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from ..utils.cam_inference import (cams_to_label, multi_scale_cams,
                                   normalize_cams)


@MODELS.register_module()
class CAMClassifier(BaseSegmentor):
    """A multi-label classifier trained on image-level labels whose class
    activation maps serve as segmentation seeds.

    Training uses only the image-level labels (``gt_img_labels``). ``predict``
    turns the multi-scale, flipped CAMs of the classes in each image's label
    into a seed label map with a constant background score, so that
    ``tools/test.py`` reports seed mIoU with mmseg's ``IoUMetric``; it also
    sets ``pred_score`` / ``gt_score`` so that mmpretrain's
    ``AveragePrecision`` reports the classifier's mAP.

    Args:
        backbone (dict): Backbone config, e.g. ``ResNetV1c`` with strides
            (1, 2, 2, 1) for output stride 16.
        cam_head (dict): Head config, e.g. ``CAMHead``.
        neck (dict, optional): Neck config.
        test_cfg (dict, optional): ``scales`` (default (1.0,)), ``flip``
            (default True), ``bg_threshold`` (default 0.15),
            ``output_stride`` (default 16).
        data_preprocessor (dict, optional): ``SegDataPreProcessor`` config.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 cam_head: ConfigType,
                 neck: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.cam_head = MODELS.build(cam_head)
        self.test_cfg = dict(
            scales=(1.0, ), flip=True, bg_threshold=0.15, output_stride=16)
        self.test_cfg.update(test_cfg or {})

    @property
    def num_classes(self) -> int:
        """Number of foreground classes."""
        return self.cam_head.num_classes

    def extract_feat(self, inputs: Tensor) -> Sequence[Tensor]:
        x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Normalised single-scale CAMs of all classes at input size."""
        cams = F.relu(self.forward_cam(inputs))
        cams = F.interpolate(
            cams, size=inputs.shape[-2:], mode='bilinear', align_corners=False)
        return normalize_cams(cams)

    def forward_cam(self, inputs: Tensor) -> Tensor:
        """Raw CAMs ``[N, K, h, w]`` of a normalised batch."""
        return self.cam_head.forward_cam(self.extract_feat(inputs))

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        return self.cam_head(self.extract_feat(inputs))

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        return self.cam_head.loss(self.extract_feat(inputs), data_samples)

    def multi_scale_cams(
        self,
        inputs: Tensor,
        cam_fn: Optional[Callable[[Tensor], Tensor]] = None,
        strided_stride: Optional[int] = None
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """CAMs summed over ``test_cfg`` scales and flips, ``[N, K, H, W]``,
        not normalised. ``cam_fn`` replaces the head's CAMs (e.g. Grad-CAM);
        ``strided_stride`` also returns IRN's strided sum (see
        :func:`~mmwsss.models.utils.cam_inference.multi_scale_cams`).
        """
        return multi_scale_cams(
            cam_fn or self.forward_cam,
            inputs,
            scales=self.test_cfg['scales'],
            flip=self.test_cfg['flip'],
            output_stride=self.test_cfg['output_stride'],
            strided_stride=strided_stride)

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        if data_samples is None:
            raise InputValueError(
                'CAMClassifier.predict needs data samples with '
                'gt_img_labels: seeds use the image-level labels')
        with torch.no_grad():
            logits = self._forward(inputs)
        for i, sample in enumerate(data_samples):
            h, w = sample.metainfo.get('img_shape', inputs.shape[-2:])
            image = inputs[i:i + 1, :, :h, :w]
            cams = self.multi_scale_cams(image)[0]
            ori_shape = sample.metainfo.get('ori_shape', (h, w))
            if tuple(ori_shape) != (h, w):
                cams = F.interpolate(
                    cams[None], size=ori_shape, mode='bilinear',
                    align_corners=False)[0]
            keys = torch.nonzero(sample.gt_img_labels > 0).flatten()
            cams = normalize_cams(cams[keys])
            label = cams_to_label(cams, keys, self.test_cfg['bg_threshold'])
            scores = cams.new_zeros((self.num_classes + 1, ) + cams.shape[1:])
            scores[0] = self.test_cfg['bg_threshold']
            scores[keys + 1] = cams
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=scores),
                    pred_sem_seg=PixelData(data=label[None]),
                    pred_score=logits[i].sigmoid(),
                    gt_score=sample.gt_img_labels))
        return data_samples
