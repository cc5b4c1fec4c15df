"""CLIP-ES: training-free CAMs of a frozen CLIP."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmseg.registry import MODELS
from mmseg.utils import tokenizer
from torch import Tensor

from mmwsss.utils import load_fitting_checkpoint
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError
from ..utils.clip_es import (attention_affinity, encode_prompts,
                              last_block_grad_cams, refine_with_affinity)

#: CLIP's context length: a prompt's tokens, start and end included.
CONTEXT_LENGTH = 77

CONVERT_HINT = ('convert OpenAI\'s released ViT-B-16.pt (the file '
                '`clip.load("ViT-B/16")` downloads) with `python '
                'tools/model_converters/clip2mmwsss.py ViT-B-16.pt {path}`')


def prompt_tokens(names: Sequence[str], templates: Sequence[str],
                  what: str) -> Tensor:
    """CLIP tokens ``[len(templates), len(names), 77]`` of every prompt.

    Raises:
        InputValueError: A name that encodes to no token, or a prompt over
            CLIP's 77 tokens (mmseg's tokenizer would silently cut it),
            naming the class.
    """
    rows = []
    for template in templates:
        prompts = [template.format(name) for name in names]
        for name, prompt in zip(names, prompts):
            if not tokenizer._tokenizer.encode(name):
                raise InputValueError(
                    f'{what} {name!r}: the CLIP tokenizer encodes it to no '
                    'token; give the class a name in words')
            length = len(tokenizer._tokenizer.encode(prompt)) + 2
            if length > CONTEXT_LENGTH:
                raise InputValueError(
                    f'{what} {name!r}: the prompt {prompt!r} is {length} '
                    f'tokens, more than CLIP\'s {CONTEXT_LENGTH}; shorten '
                    'the name or its synonyms')
        rows.append(tokenizer.tokenize(prompts, CONTEXT_LENGTH))
    return torch.stack(rows)


@MODELS.register_module()
class CLIPES(BaseModel):
    """CLIP-ES (Lin et al., "CLIP is Also an Efficient Segmenter: A
    Text-Driven Approach for Weakly Supervised Semantic Segmentation", CVPR
    2023): CAMs of a frozen CLIP ViT without any training.

    For an image with foreground classes ``F`` the score of class ``k`` is
    its softmax probability over the prompts of ``F`` and of every
    background name (``100 * cos`` of the image and text features, the
    image feature being the projected mean of the last block's patch
    tokens after ``ln_post``). Grad-CAM of that probability at the input
    norm of the last block, ReLU'd and min-max normalised twice on the
    patch grid, is refined by the class-aware attention affinity (CAA) of
    the last ``caa_blocks`` blocks inside the boxes of the CAM above
    ``box_threshold``. The gradients of all classes of all images of a
    batch come from one batched backward pass, where CLIP-ES's
    ``generate_cams_voc12.py`` reruns the last block once per class.

    Args:
        backbone (dict): :class:`CLIPVisionTransformer`.
        text_encoder (dict): mmseg's ``CLIPTextEncoder``.
        class_names (Sequence[str]): The prompt name of each foreground
            class, synonyms written into one name as CLIP-ES does
            (``'person with clothes,people,human'``).
        background_names (Sequence[str]): CLIP-ES's background set.
        templates (Sequence[str]): Prompt templates; text features are
            averaged over them (CLIP-ES: one, ``'a clean origami {}.'``).
        data_preprocessor (dict, optional): Normalises with CLIP's mean
            and standard deviation.
        test_cfg (dict, optional): ``scales`` (CLIP-ES: ``(1.0, )``),
            ``flip`` (False), ``size_divisor`` (16: images are resized to
            the next multiple, bicubic), ``caa`` (True), ``caa_blocks`` (8),
            ``caa_iterations`` (3), ``box_threshold`` (VOC 0.4, COCO 0.7),
            ``classes_per_backward`` (None: all classes of a batch in one
            backward pass; 1: CLIP-ES's loop, one pass per class).
        init_cfg (dict, optional): ``dict(type='Pretrained', checkpoint=
            ...)``: the converted OpenAI checkpoint
            (``tools/model_converters/clip2mmwsss.py``), loaded whole.
    """
    #: CAMs need each image's labels (the softmax is over its classes).
    needs_image_labels = True
    #: The weights come from ``init_cfg``; there is nothing to train.
    training_free = True

    def __init__(self,
                 backbone: dict,
                 text_encoder: dict,
                 class_names: Sequence[str],
                 background_names: Sequence[str],
                 templates: Sequence[str] = ('a clean origami {}.', ),
                 data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        text_encoder = dict(text_encoder)
        text_encoder.setdefault('vocabulary', list(class_names))
        text_encoder.setdefault('cat_bg', False)
        self.text_encoder = MODELS.build(text_encoder)
        self.class_names = list(class_names)
        self.background_names = list(background_names)
        self.templates = list(templates)
        # Checked now: a bad name fails before any image is read.
        self.register_buffer(
            'class_tokens',
            prompt_tokens(self.class_names, self.templates, 'class'),
            persistent=False)
        self.register_buffer(
            'background_tokens',
            prompt_tokens(self.background_names, self.templates,
                          'background'),
            persistent=False)
        self.test_cfg = dict(
            scales=(1.0, ),
            flip=False,
            size_divisor=16,
            caa=True,
            caa_blocks=8,
            caa_iterations=3,
            box_threshold=0.4,
            classes_per_backward=None)
        self.test_cfg.update(test_cfg or {})
        self._text_features = None
        for param in self.parameters():
            param.requires_grad_(False)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def pretrained_checkpoint(self) -> Optional[str]:
        init_cfg = self.init_cfg or {}
        return init_cfg.get('checkpoint') if init_cfg.get(
            'type') == 'Pretrained' else None

    def init_weights(self) -> None:
        """Load the converted CLIP checkpoint of ``init_cfg`` whole (every
        key must fit), naming the file and the converter when it is
        missing; no weights are downloaded."""
        path = self.pretrained_checkpoint
        if path is None:
            return super().init_weights()
        if not osp.isfile(path):
            raise InputFileNotFoundError(
                f'{path}: no CLIP checkpoint; ' + CONVERT_HINT.format(
                    path=path))
        load_fitting_checkpoint(self, path)
        self._text_features = None

    def cam_inference_defaults(self) -> dict:
        """Scales and flip of :func:`~mmwsss.cams.generate_cams` when the
        caller gives none: the config's (CLIP-ES: one scale, no flip)."""
        return dict(scales=tuple(self.test_cfg['scales']),
                    flip=self.test_cfg['flip'])

    def text_features(self) -> Tuple[Tensor, Tensor]:
        """L2-normalised text features of the classes ``[K, D]`` and of the
        background names ``[M, D]``, each averaged over the templates and
        normalised again (CLIP-ES's ``zeroshot_classifier``)."""
        if self._text_features is None:
            self._text_features = tuple(
                encode_prompts(self.text_encoder, tokens)
                for tokens in (self.class_tokens, self.background_tokens))
        return self._text_features

    def _resize(self, images: Tensor, scale: float) -> Tensor:
        divisor = self.test_cfg['size_divisor']
        height, width = images.shape[-2:]
        size = (int(-(-scale * height // divisor) * divisor),
                int(-(-scale * width // divisor) * divisor))
        if size == (height, width):
            return images
        return F.interpolate(
            images, size=size, mode='bicubic', align_corners=False)

    def grid_cams(self, images: Tensor, labels: Sequence[Tensor]
                  ) -> Tuple[List[Tensor], List[Optional[Tensor]]]:
        """CLIP-ES's CAMs on the patch grid of one forward pass.

        Args:
            images (Tensor): ``[B, 3, H, W]``, normalised, ``H`` and ``W``
                multiples of the patch size.
            labels (Sequence[Tensor]): 0-based foreground classes of each
                image.

        Returns:
            tuple: Per image, the Grad-CAMs ``[K_b, h, w]`` (ReLU'd and
            min-max normalised twice) and the CAA affinity ``[h * w,
            h * w]`` (``None`` with ``caa`` off).
        """
        class_features, background_features = self.text_features()
        backbone = self.backbone
        last = len(backbone.layers) - 1
        caa_from = len(backbone.layers) - self.test_cfg['caa_blocks']
        with torch.no_grad():
            tokens, hw_shape = backbone.embed(images)
            tokens, attention = backbone.forward_blocks(
                tokens, 0, last,
                attention_from=caa_from if self.test_cfg['caa'] else None)
        cams, weights = last_block_grad_cams(
            backbone, tokens, hw_shape, labels, class_features,
            background_features, self.text_encoder.logit_scale.exp(),
            self.test_cfg.get('classes_per_backward'))
        if not self.test_cfg['caa']:
            return cams, [None] * len(labels)
        attention.append(weights)
        affinities = [
            attention_affinity([a[index:index + 1] for a in attention],
                               self.test_cfg['caa_iterations'])[0]
            for index in range(len(labels))
        ]
        return cams, affinities

    def image_cams(self, images: Tensor,
                   labels: Sequence[Tensor]) -> List[Tensor]:
        """CLIP-ES's CAMs ``[K_b, H, W]`` at the input size (each scale and
        flip's maps resized bilinearly and summed, then divided by their
        count; CLIP-ES uses one scale)."""
        size = images.shape[-2:]
        total = [None] * len(labels)
        passes = 0
        for scale in self.test_cfg['scales']:
            for flip in ((False, True) if self.test_cfg['flip'] else
                         (False, )):
                inputs = self._resize(images, scale)
                if flip:
                    inputs = inputs.flip(-1)
                cams, affinities = self.grid_cams(inputs, labels)
                passes += 1
                for index, (maps, affinity) in enumerate(
                        zip(cams, affinities)):
                    if affinity is not None:
                        maps = refine_with_affinity(
                            maps, affinity, self.test_cfg['box_threshold'])
                    maps = F.interpolate(
                        maps[None], size=size, mode='bilinear',
                        align_corners=False)[0]
                    if flip:
                        maps = maps.flip(-1)
                    total[index] = maps if total[index] is None else \
                        total[index] + maps
        return [maps / passes for maps in total]

    def multi_scale_cams(self, images: Tensor, data_samples,
                         strided_stride: Optional[int] = None
                         ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """CAMs of every class ``[B, K, H, W]`` (0 for the classes an image
        lacks), and with ``strided_stride`` also at that stride, as
        :meth:`CAMClassifier.multi_scale_cams` returns them; the labels
        come from ``data_samples``' ``gt_img_labels``."""
        labels = [
            torch.nonzero(sample.gt_img_labels > 0).flatten().to(
                images.device) for sample in data_samples
        ]
        out = images.new_zeros(
            (len(images), self.num_classes, *images.shape[-2:]))
        for index, (keys, maps) in enumerate(
                zip(labels, self.image_cams(images, labels))):
            out[index, keys] = maps
        if strided_stride is None:
            return out
        height, width = images.shape[-2:]
        strided = F.interpolate(
            out,
            size=((height - 1) // strided_stride + 1,
                  (width - 1) // strided_stride + 1),
            mode='bilinear',
            align_corners=False)
        return out, strided

    def forward(self, inputs: Tensor, data_samples=None,
                mode: str = 'tensor') -> Dict[str, Tensor]:
        """CLIP's image features ``[B, D]`` (``mode='tensor'``); CLIP-ES
        is not trained and has no loss."""
        if mode != 'tensor':
            raise InputValueError(
                f'CLIPES is training-free: mode {mode!r} is not supported; '
                'write its CAMs with tools/make_cams.py')
        return self.backbone.encode_image(inputs)
