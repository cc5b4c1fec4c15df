"""WeCLIP: a frozen CLIP backbone trained end to end from image labels."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import OptSampleList, SampleList
from torch import Tensor

from mmwsss.utils import load_fitting_checkpoint
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)
from ..utils.clip_es import (encode_prompts, last_block_grad_cams,
                             refine_with_affinity)
from ..utils.dense_crf import dense_crf
from ..utils.par import PAR
from ..utils.train_iteration import current_train_iter
from ..utils.weclip_labels import cams_to_pseudo_label, online_affinity
from .clip_es import CONVERT_HINT, prompt_tokens

#: ``model.train_cfg`` of the official VOC recipe.
TRAIN_DEFAULTS = dict(
    rfm_start_iter=15000,
    rfm_blocks=6,
    caa_blocks=8,
    caa_iterations=3,
    box_threshold=0.4,
    par=dict(num_iter=20, dilations=(1, 2, 4, 8, 12, 24)),
    classes_per_backward=None)
#: ``model.test_cfg`` of the official ``test_msc_flip_voc.py``.
TEST_DEFAULTS = dict(resize_long=512, scales=(1.0, 0.75), flip=True, crf=None)
#: The official ``crf_proc``'s ``DenseCRF`` (``test_msc_flip_seg.py`` runs
#: it; the call is commented out in ``test_msc_flip_voc.py``) as
#: :func:`~mmwsss.models.utils.dense_crf.dense_crf` settings: set
#: ``model.test_cfg.crf`` to it.
OFFICIAL_CRF = dict(
    iterations=10,
    gaussian_sxy=3,
    gaussian_compat=3,
    bilateral_sxy=64,
    bilateral_srgb=5,
    bilateral_compat=4)


@MODELS.register_module()
class WeCLIP(BaseSegmentor):
    """WeCLIP (Zhang et al., "Frozen CLIP: A Strong Backbone for Weakly
    Supervised Semantic Segmentation", CVPR 2024; official code
    zbf1991/WeCLIP): single-stage WSSS on a frozen CLIP ViT-B/16.

    CLIP is never trained: its parameters are frozen and it stays in eval
    mode. The patch tokens of its blocks 0..10 feed the decoder
    (:class:`~mmwsss.models.heads.weclip_decoder.WeCLIPHead`: per-layer
    MLPs, fusion, a light transformer), whose logits at 1/16 are the
    segmentation.

    Training makes the decoder's labels online from the same frozen CLIP
    (no gradient reaches CLIP, nor flows through the labels): CLIP-ES's
    Grad-CAM of each image's classes at the input norm of the last block,
    refined inside its boxes (``box_threshold``) by an attention affinity:
    the mean of the last ``caa_blocks`` CLIP attention maps, or, from
    iteration ``rfm_start_iter`` on, the refinement module (RFM): the last
    ``rfm_blocks`` maps that differ less than average from the decoder's
    affinity ``sigmoid(F^T F)``, averaged and multiplied by it. The refined
    CAMs, min-max normalised and upsampled to the crop, with the background
    ``1 - max``, are refined by PAR and argmax'ed into the pseudo label
    (no pixel ignored). The loss is ``1.0 *`` the balanced cross entropy
    plus ``0.1 *`` the affinity loss of ``sigmoid(F^T F)`` against the
    label's pairs (radius 8 cells).

    Inference uses the decoder only: the image is resized so that its long
    side is ``resize_long``, and the logits of every scale and its flip are
    averaged at the first scale's size, upsampled to the original size.

    Args:
        backbone (dict): :class:`CLIPVisionTransformer` (ViT-B/16).
        text_encoder (dict): mmseg's ``CLIPTextEncoder``.
        decode_head (dict): :class:`WeCLIPHead`; its ``num_classes`` is
            ``len(class_names) + 1``.
        class_names (Sequence[str]): Prompt name of each foreground class
            (the official ``new_class_names``: CLIP-ES's).
        background_names (Sequence[str]): CLIP-ES's background names.
        templates (Sequence[str]): Prompt templates (``'a clean origami
            {}.'``).
        train_cfg (dict, optional): ``rfm_start_iter`` (0-based iteration
            the RFM starts at; VOC 15000, COCO 40000), ``rfm_blocks`` (VOC
            6, COCO 10), ``caa_blocks`` (8), ``caa_iterations`` (3),
            ``box_threshold`` (VOC 0.4, COCO 0.7), ``par`` (:class:`PAR`'s
            arguments; 20 iterations, dilations 1, 2, 4, 8, 12, 24),
            ``classes_per_backward`` (None: every class of a batch in one
            Grad-CAM backward pass).
        test_cfg (dict, optional): ``resize_long`` (512; None keeps the
            size), ``scales`` ((1.0, 0.75)), ``flip`` (True), ``crf``
            (None; :data:`OFFICIAL_CRF` for the official DenseCRF on the
            softmax of the logits at the original size, with the
            denormalised image).
        data_preprocessor (dict, optional): The official normalises with
            ImageNet's mean and std, not CLIP's.
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=
            ...)``: the converted OpenAI CLIP checkpoint
            (``tools/model_converters/clip2mmwsss.py``), loaded into the
            backbone and the text encoder; the decoder keeps PyTorch's
            initialisation, as the official.
    """

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 decode_head: dict,
                 class_names: Sequence[str],
                 background_names: Sequence[str],
                 templates: Sequence[str] = ('a clean origami {}.', ),
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        text_encoder = dict(text_encoder)
        text_encoder.setdefault('vocabulary', list(class_names))
        text_encoder.setdefault('cat_bg', False)
        self.text_encoder = MODELS.build(text_encoder)
        self.decode_head = MODELS.build(decode_head)
        self.class_names = list(class_names)
        self.background_names = list(background_names)
        if self.decode_head.num_classes != len(self.class_names) + 1:
            raise InputValueError(
                f'model.decode_head.num_classes is '
                f'{self.decode_head.num_classes}; with '
                f'{len(self.class_names)} model.class_names it must be '
                f'{len(self.class_names) + 1} (background first)')
        num_blocks = len(self.backbone.layers)
        if self.decode_head.num_inputs > num_blocks - 1:
            raise InputValueError(
                f'model.decode_head.num_inputs '
                f'({self.decode_head.num_inputs}) must be below the '
                f"backbone's {num_blocks} blocks: the last block is CLIP-ES's "
                'Grad-CAM layer')
        self.register_buffer(
            'class_tokens',
            prompt_tokens(self.class_names, templates, 'class'),
            persistent=False)
        self.register_buffer(
            'background_tokens',
            prompt_tokens(self.background_names, templates, 'background'),
            persistent=False)
        self.train_cfg = dict(TRAIN_DEFAULTS)
        self.train_cfg.update(train_cfg or {})
        self.test_cfg = dict(TEST_DEFAULTS)
        self.test_cfg.update(test_cfg or {})
        unknown = (set(self.train_cfg) - set(TRAIN_DEFAULTS)) | (
            set(self.test_cfg) - set(TEST_DEFAULTS))
        if unknown:
            raise InputKeyError(
                f'model.train_cfg / model.test_cfg: unknown keys '
                f'{sorted(unknown)}; WeCLIP knows {sorted(TRAIN_DEFAULTS)} '
                f'and {sorted(TEST_DEFAULTS)}')
        for key in ('caa_blocks', 'rfm_blocks'):
            if not 1 <= self.train_cfg[key] <= num_blocks:
                raise InputValueError(
                    f'model.train_cfg.{key} must be in 1..{num_blocks}, got '
                    f'{self.train_cfg[key]}')
        self.par = PAR(**self.train_cfg['par'])
        self._text_features = None
        for module in (self.backbone, self.text_encoder):
            for param in module.parameters():
                param.requires_grad_(False)

    @property
    def num_classes(self) -> int:
        """Classes of the decoder, background included."""
        return self.decode_head.num_classes

    @property
    def pretrained_checkpoint(self) -> Optional[str]:
        init_cfg = self.init_cfg or {}
        return init_cfg.get('checkpoint') if init_cfg.get(
            'type') == 'Pretrained' else None

    def init_weights(self) -> None:
        """Load the converted CLIP checkpoint of ``init_cfg`` into the
        backbone and the text encoder (each of their weights must be in
        it), naming the file and the converter when it is missing; the
        decoder gets its own ``init_cfg`` (default none: PyTorch's
        initialisation, as the official)."""
        path = self.pretrained_checkpoint
        if path is None:
            return super().init_weights()
        if not osp.isfile(path):
            raise InputFileNotFoundError(
                f'{path}: no CLIP checkpoint; ' + CONVERT_HINT.format(
                    path=path))
        clip = nn.ModuleDict(
            dict(backbone=self.backbone, text_encoder=self.text_encoder))
        load_fitting_checkpoint(clip, path)
        self._text_features = None
        self.decode_head.init_weights()

    def train(self, mode: bool = True) -> 'WeCLIP':
        """Train the decoder; CLIP stays in eval mode."""
        super().train(mode)
        self.backbone.eval()
        self.text_encoder.eval()
        return self

    def text_features(self) -> Tuple[Tensor, Tensor]:
        """Normalised text features of the classes ``[K, D]`` and of the
        background names ``[M, D]`` (CLIP-ES's ``zeroshot_classifier``),
        computed once per device."""
        device = self.class_tokens.device
        if self._text_features is None or \
                self._text_features[0].device != device:
            with torch.no_grad():
                self._text_features = tuple(
                    encode_prompts(self.text_encoder, tokens)
                    for tokens in (self.class_tokens,
                                   self.background_tokens))
        return self._text_features

    def clip_forward(self, inputs: Tensor, attention_from: Optional[int]
                     ) -> Tuple[List[Tensor], List[Tensor], Tuple[int, int]]:
        """Frozen CLIP's blocks before the last, without gradients.

        Returns:
            tuple: The tokens ``[B, 1 + h * w, C]`` after each block
            (``len(layers) - 1`` of them), the attention maps ``[B, L, L]``
            of the blocks from ``attention_from`` on (none if None), and
            the patch grid ``(h, w)``.
        """
        backbone = self.backbone
        outputs, attention = [], []
        with torch.no_grad():
            x, hw_shape = backbone.embed(inputs)
            for index, layer in enumerate(backbone.layers[:-1]):
                if attention_from is not None and index >= attention_from:
                    x, weights, _ = backbone.block_with_attention(layer, x)
                    attention.append(weights)
                else:
                    x = layer(x)
                outputs.append(x)
        return outputs, attention, hw_shape

    def _decoder_inputs(self, outputs: Sequence[Tensor],
                        hw_shape: Tuple[int, int]) -> List[Tensor]:
        """The patch tokens of the first ``num_inputs`` blocks as maps
        ``[B, C, h, w]`` (the class token dropped)."""
        maps = []
        for x in outputs[:self.decode_head.num_inputs]:
            patches = x[:, 1:].transpose(1, 2)
            maps.append(patches.reshape(*patches.shape[:2], *hw_shape))
        return maps

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """The decoder's inputs: CLIP's patch tokens of blocks
        ``0..num_inputs - 1`` as ``[B, C, h, w]`` maps."""
        outputs, _, hw_shape = self.clip_forward(inputs, None)
        return self._decoder_inputs(outputs, hw_shape)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Logits ``[B, K, h, w]`` at 1/16."""
        return self.decode_head(self.extract_feat(inputs))

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Single-scale logits upsampled to the input size."""
        return F.interpolate(
            self._forward(inputs),
            size=inputs.shape[-2:],
            mode='bilinear',
            align_corners=False)

    def online_pseudo_labels(self,
                             inputs: Tensor,
                             labels: Sequence[Tensor],
                             outputs: Sequence[Tensor],
                             attention: Sequence[Tensor],
                             hw_shape: Tuple[int, int],
                             decoder_affinity: Optional[Tensor],
                             use_rfm: bool) -> Tensor:
        """WeCLIP's pseudo labels ``[B, H, W]`` of a batch (no gradient).

        Args:
            inputs (Tensor): ``[B, 3, H, W]`` normalised images.
            labels (Sequence[Tensor]): 0-based foreground classes per
                image.
            outputs (Sequence[Tensor]): :meth:`clip_forward`'s tokens; the
                last one enters CLIP's last block.
            attention (Sequence[Tensor]): :meth:`clip_forward`'s attention
                maps (those of the last ``max(caa_blocks, rfm_blocks) - 1``
                blocks before the last at least).
            hw_shape (tuple): The patch grid.
            decoder_affinity (Tensor, optional): ``[B, hw, hw]``, the
                decoder's ``sigmoid(F^T F)``; needed with ``use_rfm``.
            use_rfm (bool): Refine the affinity with the RFM.
        """
        cfg = self.train_cfg
        class_features, background_features = self.text_features()
        cams, last_attention = last_block_grad_cams(
            self.backbone, outputs[-1], hw_shape, labels, class_features,
            background_features, self.text_encoder.logit_scale.exp(),
            cfg['classes_per_backward'])
        attention = list(attention) + [last_attention]
        pseudo = []
        with torch.no_grad():
            for index, (keys, maps) in enumerate(zip(labels, cams)):
                transition = online_affinity(
                    [a[index] for a in attention],
                    decoder_affinity[index] if use_rfm else None,
                    use_rfm,
                    caa_blocks=cfg['caa_blocks'],
                    rfm_blocks=cfg['rfm_blocks'],
                    iterations=cfg['caa_iterations'])
                maps = refine_with_affinity(maps, transition,
                                            cfg['box_threshold'])
                maps = F.interpolate(
                    maps[None],
                    size=inputs.shape[-2:],
                    mode='bilinear',
                    align_corners=False)[0]
                pseudo.append(
                    cams_to_pseudo_label(maps, keys, inputs[index],
                                         self.par))
        return torch.stack(pseudo)

    def _image_labels(self, data_samples: SampleList,
                      device: torch.device) -> List[Tensor]:
        labels = []
        for sample in data_samples:
            if 'gt_img_labels' not in sample:
                raise InputKeyError(
                    f"{sample.metainfo.get('img_path', 'a sample')}: no "
                    'gt_img_labels; WeCLIP trains on image-level labels '
                    '(pack the inputs with PackWSSSInputs)')
            labels.append(
                torch.nonzero(sample.gt_img_labels > 0).flatten().to(device))
        return labels

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """WeCLIP's losses of a batch of crops: the decoder against the
        online pseudo labels of the frozen CLIP."""
        cfg = self.train_cfg
        labels = self._image_labels(data_samples, inputs.device)
        num_blocks = len(self.backbone.layers)
        # Attention of the blocks before the last that CAA or RFM read.
        attention_from = num_blocks - max(cfg['caa_blocks'],
                                          cfg['rfm_blocks'])
        outputs, attention, hw_shape = self.clip_forward(
            inputs, attention_from)
        seg_logits, affinity = self.decode_head.forward_with_affinity(
            self._decoder_inputs(outputs, hw_shape))
        use_rfm = current_train_iter() >= cfg['rfm_start_iter']
        pseudo_labels = self.online_pseudo_labels(
            inputs, labels, outputs, attention, hw_shape,
            affinity.detach(), use_rfm)
        return self.decode_head.loss_by_feat(seg_logits, affinity,
                                             pseudo_labels)

    def _resize(self, images: Tensor, size: Tuple[int, int]) -> Tensor:
        if tuple(images.shape[-2:]) == tuple(size):
            return images
        return F.interpolate(
            images, size=size, mode='bilinear', align_corners=False)

    def aug_test_logits(self, image: Tensor) -> Tensor:
        """The official multi-scale, flipped logits ``[1, K, h, w]`` of one
        image ``[1, 3, H, W]``: resized so that its long side is
        ``resize_long`` (``int`` of the scaled sides), then each scale
        (``F.interpolate`` with ``scale_factor``) with its flip; the
        logits are averaged over the flips, resized to the first scale's
        and averaged over the scales."""
        cfg = self.test_cfg
        height, width = image.shape[-2:]
        if cfg['resize_long']:
            ratio = cfg['resize_long'] / max(height, width)
            image = self._resize(image,
                                 (int(height * ratio), int(width * ratio)))
        total, size = None, None
        for scale in cfg['scales']:
            # As the official: ``scale_factor`` (not a size), which also
            # sets the sampling step.
            scaled = image if scale == 1 else F.interpolate(
                image, scale_factor=scale, mode='bilinear',
                align_corners=False)
            batch = torch.cat([scaled, scaled.flip(-1)]) if cfg['flip'] \
                else scaled
            logits = self._forward(batch)
            if size is None:
                size = logits.shape[-2:]
            logits = self._resize(logits, size)
            logits = (logits[0] + logits[1].flip(-1)) / 2 if cfg['flip'] \
                else logits[0]
            total = logits if total is None else total + logits
        return (total / len(cfg['scales']))[None]

    def _raw_image(self, image: Tensor, size: Tuple[int, int]) -> np.ndarray:
        """The ``[H, W, 3]`` uint8 image of a normalised input ``[3, h, w]``
        (in the preprocessor's channel order, RGB), at ``size``."""
        preprocessor = self.data_preprocessor
        if getattr(preprocessor, '_enable_normalize', False):
            image = image * preprocessor.std + preprocessor.mean
        image = self._resize(image[None], size)[0]
        return image.clamp(0, 255).round().byte().permute(1, 2,
                                                          0).cpu().numpy()

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Segmentation of each image at its original size: ``seg_logits``
        (the averaged logits, or with ``crf`` the CRF's posterior) and
        ``pred_sem_seg`` (their argmax)."""
        if data_samples is None:
            data_samples = [SegDataSample() for _ in range(len(inputs))]
        with torch.no_grad():
            for index, sample in enumerate(data_samples):
                height, width = sample.metainfo.get('img_shape',
                                                    inputs.shape[-2:])
                logits = self.aug_test_logits(
                    inputs[index:index + 1, :, :height, :width])
                ori_shape = sample.metainfo.get('ori_shape',
                                                (height, width))
                logits = self._resize(logits, tuple(ori_shape))[0]
                if self.test_cfg['crf'] is not None:
                    image = self._raw_image(
                        inputs[index, :, :height, :width], tuple(ori_shape))
                    posterior = dense_crf(image,
                                          logits.softmax(0).cpu().numpy(),
                                          **self.test_cfg['crf'])
                    logits = torch.from_numpy(posterior).to(logits.device)
                sample.set_data(
                    dict(
                        seg_logits=PixelData(data=logits),
                        pred_sem_seg=PixelData(
                            data=logits.argmax(0, keepdim=True))))
        return data_samples
