import math

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS
from mmseg.utils import OptConfigType, OptSampleList, SampleList, add_prefix
from torch import Tensor

from mmwsss.utils.errors import InputKeyError, InputValueError

from ..utils.sec_crf import sec_crf


@MODELS.register_module()
class SECSegmentor(EncoderDecoder):
    """The segmentation network of SEC, trained on localization cues with
    the seed, expand and constrain losses of its decode head
    (:class:`~mmwsss.models.heads.SECHead`).

    From "Seed, Expand and Constrain: Three Principles for
    Weakly-Supervised Image Segmentation" (Kolesnikov & Lampert, ECCV
    2016). Training passes the un-normalised input images to the head, whose
    constrain loss runs a dense CRF on them. Prediction follows SEC's
    ``deploy/demo.py``: the softmax of the output, bilinearly resized to the
    original image, floored at ``prob_floor``, and, with ``crf``, smoothed
    by the dense CRF of its log on the original image (``crf_scale_factor``
    1), then the argmax.

    Args:
        test_cfg (dict, optional): ``crf`` (default True),
            ``crf_scale_factor`` (1.0), ``crf_iterations`` (10),
            ``prob_floor`` (1e-5), ``restrict_to_image_labels`` (False:
            SEC's demo takes the argmax over all classes; True: over the
            background and the classes of ``gt_img_labels``).
        **kwargs: See :class:`mmseg.models.segmentors.EncoderDecoder`.
    """

    def __init__(self, test_cfg: OptConfigType = None, **kwargs) -> None:
        settings = dict(
            mode='whole',
            crf=True,
            crf_scale_factor=1.0,
            crf_iterations=10,
            prob_floor=1e-5,
            restrict_to_image_labels=False)
        settings.update(test_cfg or {})
        if settings['mode'] != 'whole':
            raise InputValueError('SECSegmentor predicts whole images, got '
                                  f"test_cfg.mode={settings['mode']!r}")
        super().__init__(test_cfg=settings, **kwargs)

    def unnormalize(self, inputs: Tensor) -> Tensor:
        """The batch as the data preprocessor received it: ``[N, 3, H, W]``
        in [0, 255] (channel order after its conversion, if any)."""
        preprocessor = self.data_preprocessor
        if not getattr(preprocessor, '_enable_normalize', False):
            return inputs
        return inputs * preprocessor.std + preprocessor.mean

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """SEC's losses of a batch (see :class:`SECHead`)."""
        x = self.extract_feat(inputs)
        losses = add_prefix(
            self.decode_head.loss(
                x, data_samples, self.train_cfg,
                images=self.unnormalize(inputs)), 'decode')
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def original_image(self, inputs: Tensor, meta: dict) -> np.ndarray:
        """``[H, W, 3]`` uint8 image at the original size for the test-time
        CRF: the un-normalised input when the test pipeline kept the size,
        else the image file re-read (SEC's demo smooths at the original
        resolution, not at the network's input size)."""
        h, w = meta['img_shape'][:2]
        ori_shape = tuple(meta['ori_shape'][:2])
        if (h, w) == ori_shape:
            image = self.unnormalize(inputs[None, :, :h, :w])[0]
            return image.round().clamp(0, 255).byte().permute(
                1, 2, 0).cpu().numpy()
        if 'img_path' not in meta:
            raise InputKeyError(
                'the test-time CRF of a resized image needs its '
                "'img_path' to read the original")
        image = mmcv.imread(meta['img_path'], channel_order='rgb')
        if image.shape[:2] != ori_shape:
            raise InputValueError(
                f"{meta['img_path']}: {image.shape[:2]} is not "
                f'its ori_shape {ori_shape}')
        return image

    def predict_probs(self, inputs: Tensor, meta: dict,
                      logits: Tensor) -> Tensor:
        """Class probabilities ``[C, H, W]`` of one image at its original
        size: SEC's test-time softmax, resize, floor and CRF."""
        cfg = self.test_cfg
        probs = logits.softmax(dim=0)
        # Keep the output cells that cover the image, not the padding.
        h, w = meta['img_shape'][:2]
        rows = math.ceil(h * probs.shape[1] / inputs.shape[1])
        cols = math.ceil(w * probs.shape[2] / inputs.shape[2])
        probs = probs[:, :rows, :cols]
        # scipy.ndimage.zoom(order=1) aligns the corners.
        probs = F.interpolate(
            probs[None],
            size=tuple(meta['ori_shape'][:2]),
            mode='bilinear',
            align_corners=True)[0]
        probs = probs.clamp(min=cfg['prob_floor'])
        if cfg['crf']:
            posterior = sec_crf(
                self.original_image(inputs, meta),
                probs.log().cpu().numpy(), cfg['crf_iterations'],
                cfg['crf_scale_factor'])
            probs = torch.from_numpy(posterior).to(probs)
        return probs

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Label maps at the original image size (``pred_sem_seg``) and
        the probabilities they are the argmax of (``seg_logits``)."""
        if data_samples is None:
            raise InputValueError(
                'SECSegmentor.predict needs data samples (image '
                'metas) to resize and smooth its output')
        with torch.no_grad():
            logits = self.decode_head.forward(self.extract_feat(inputs))
        for i, sample in enumerate(data_samples):
            probs = self.predict_probs(inputs[i], sample.metainfo, logits[i])
            scores = probs
            if self.test_cfg['restrict_to_image_labels']:
                keep = torch.zeros(
                    probs.shape[0], dtype=torch.bool, device=probs.device)
                keep[0] = True
                keep[1:] = sample.gt_img_labels.to(probs.device) > 0.5
                scores = probs.masked_fill(~keep[:, None, None], -1.0)
            label = scores.argmax(dim=0, keepdim=True)
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=probs),
                    pred_sem_seg=PixelData(data=label)))
        return data_samples
