"""ToCo: single-stage WSSS by token contrast on a ViT."""
import copy
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.models.segmentors.base import BaseSegmentor
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType, OptSampleList, SampleList
from torch import Tensor

from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)
from ..losses import (balanced_seg_loss, class_token_contrast_loss,
                      patch_token_contrast_loss)
from ..utils.cam_inference import multi_scale_cams
from ..utils.dense_crf import dense_crf
from ..utils.par import PAR
from ..utils.token_contrast import (affinity_from_labels, box_mask,
                                    cams_to_labels, crop_uncertain_regions,
                                    refine_labels_with_background,
                                    region_mask)
from ..utils.train_iteration import current_train_iter

#: ToCo's VOC run (``scripts/dist_train_voc_seg_neg.py``).
TRAIN_DEFAULTS = dict(
    high_threshold=0.7,
    low_threshold=0.25,
    cam_scales=(1.0, 0.5, 1.5),
    loss_weights=dict(
        cls=1.0, cls_aux=1.0, ptc=0.2, ctc=0.5, seg=0.1, reg=0.05),
    # The first iteration (0-based) of each loss: VOC's ``n_iter <= 2000``
    # warm-up trains the classifiers and the token contrasts alone.
    loss_start=dict(cls=0, cls_aux=0, ptc=0, ctc=0, seg=2001, reg=2001),
    # Iterations before this one take the segmentation's labels from the
    # auxiliary CAMs (COCO: 12001).
    aux_labels_until=0,
    num_local_crops=8,
    local_crop_size=96,
    negative_ratio=0.2,
    ctc_temperature=0.5,
    teacher_momentum=0.9,
    par=dict(dilations=(1, 2, 4, 8, 12, 24), num_iter=10),
    par_down_scale=2,
    ignore_index=255)

#: ToCo's VOC evaluation (``tools/infer_seg_voc.py``).
TEST_DEFAULTS = dict(
    scales=(1.0, 1.5, 1.25),
    flip=True,
    flip_merge='sum',
    scale_merge='max',
    crf=None,
    cam_scales=(1.0, 0.5, 1.5),
    cam_flip=True)

#: ToCo's ``DenseCRF`` of ``tools/infer_seg_voc.py``.
TOCO_CRF = dict(
    iterations=10,
    gaussian_sxy=1,
    gaussian_compat=1,
    bilateral_sxy=121,
    bilateral_srgb=5,
    bilateral_compat=4)

#: How to make the backbone's ``init_cfg`` checkpoint.
CONVERT_HINT = ("convert timm's ImageNet ViT-B/16 (ToCo's init, "
                'jx_vit_base_p16_224-80ecf9dd.pth) with `python '
                'tools/model_converters/toco2mmwsss.py SRC {path} '
                '--backbone`')

LOSSES = ('cls', 'cls_aux', 'ptc', 'ctc', 'seg', 'reg')


@MODELS.register_module()
class ToCo(BaseSegmentor):
    """ToCo (Ru et al., "Token Contrast for Weakly-Supervised Semantic
    Segmentation", CVPR 2023): a ViT trained on image-level labels whose
    own CAMs, refined by PAR, are the online pseudo labels of its
    segmentation head.

    One training step, as ``scripts/dist_train_voc_seg_neg.py``:

    - **Classification.** Global max pooling and a bias-free 1x1 classifier
      on the last layer's patch tokens and on an intermediate layer's
      (``aux``), each with the multi-label soft margin loss.
    - **CAMs.** Multi-scale + flip CAMs of both classifiers, without
      gradients, min-max normalised (``multi_scale_cam2``).
    - **Patch token contrast (PTC).** Confident labels of the auxiliary
      CAMs on the patch grid decide which pairs of last-layer tokens are
      pulled together or apart.
    - **Class token contrast (CTC).** Local crops of uncertain or
      background regions (from the auxiliary CAMs) and two global views go
      through the ViT; their class tokens' projections are contrasted
      against an EMA teacher head's projections of the global views.
    - **Segmentation.** The last layer's CAMs, thresholded and refined by
      PAR with a high and a low background, are the labels of a LargeFOV
      head (the balanced cross entropy), plus the regularised (dense CRF)
      loss.

    ``predict`` gives the segmentation head's multi-scale + flip result
    (optionally after ToCo's dense CRF), so ``tools/test.py`` reports its
    mIoU with mmseg's ``IoUMetric`` (and, where the samples carry image
    labels, the classifier's scores for mmpretrain's mAP); ``multi_scale_cams`` writes the
    classifier's CAMs as CAM files (``tools/make_cams.py``).

    Args:
        backbone (dict): mmseg's ``VisionTransformer`` with
            ``out_indices=(aux, last)``, ``output_cls_token=True`` and
            ``final_norm=True``.
        decode_head (dict): :class:`LargeFOVHead`; its ``num_classes``
            counts the background, the classifiers one fewer.
        projection_head (dict): :class:`TokenProjectionHead` of CTC.
        reg_loss (dict): :class:`DenseEnergyLoss` (weighted again by
            ``loss_weights['reg']``).
        pooling (str): How the classifiers pool the patch tokens: ``'max'``
            (ToCo's global max pooling, hard-coded in its model) or
            ``'avg'``.
        freeze_pos_embed (bool): ToCo's ViT does not train its position
            embeddings.
        train_cfg (dict, optional): Overrides of :data:`TRAIN_DEFAULTS`.
        test_cfg (dict, optional): Overrides of :data:`TEST_DEFAULTS`:
            ``scales``, ``flip``, ``flip_merge`` (``'sum'`` VOC, ``'max'``
            COCO), ``scale_merge`` (``'max'`` VOC, ``'sum'`` COCO), ``crf`` (None, or settings of a dense CRF on
            the softmax, e.g. :data:`TOCO_CRF`), ``cam_scales`` and
            ``cam_flip`` for CAM files.
        data_preprocessor (dict, optional): ``SegDataPreProcessor``.
        init_cfg (dict, optional): Initialisation.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 projection_head: ConfigType,
                 reg_loss: ConfigType = dict(type='DenseEnergyLoss'),
                 pooling: str = 'max',
                 freeze_pos_embed: bool = True,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if pooling not in ('max', 'avg'):
            raise InputValueError(
                f"pooling must be 'max' or 'avg', got {pooling!r}")
        self.pooling = pooling
        self.train_cfg = self._settings(TRAIN_DEFAULTS, train_cfg,
                                        'train_cfg')
        self.test_cfg = self._settings(TEST_DEFAULTS, test_cfg, 'test_cfg')
        for key in ('loss_weights', 'loss_start'):
            unknown = set(self.train_cfg[key]) - set(LOSSES)
            if unknown:
                raise InputKeyError(
                    f'train_cfg.{key}: unknown losses {sorted(unknown)}; '
                    f'expected {list(LOSSES)}')
            self.train_cfg[key] = dict(TRAIN_DEFAULTS[key],
                                       **self.train_cfg[key])
        for key in ('flip_merge', 'scale_merge'):
            if self.test_cfg[key] not in ('max', 'sum'):
                raise InputValueError(
                    f"test_cfg.{key} must be 'max' or 'sum', got "
                    f'{self.test_cfg[key]!r}')
        self.backbone = MODELS.build(backbone)
        if not getattr(self.backbone, 'output_cls_token', False):
            raise InputValueError(
                'ToCo needs the class token: set the backbone\'s '
                'output_cls_token=True')
        if len(self.backbone.out_indices) != 2:
            raise InputValueError(
                'ToCo\'s backbone needs out_indices=(auxiliary layer, last '
                f'layer), got {self.backbone.out_indices}')
        if freeze_pos_embed:
            self.backbone.pos_embed.requires_grad_(False)
        self.decode_head = MODELS.build(decode_head)
        channels = self.backbone.embed_dims if hasattr(
            self.backbone, 'embed_dims') else decode_head['in_channels']
        num_classes = self.decode_head.num_classes - 1
        self.classifier = nn.Conv2d(channels, num_classes, 1, bias=False)
        self.aux_classifier = nn.Conv2d(channels, num_classes, 1, bias=False)
        self.projection_head = MODELS.build(projection_head)
        self.projection_head_teacher = MODELS.build(projection_head)
        for param in self.projection_head_teacher.parameters():
            param.requires_grad_(False)
        self.reg_loss = MODELS.build(reg_loss)
        # The loss recovers colours with the inputs' own normalisation.
        self.reg_loss.mean.copy_(self.data_preprocessor.mean.view(1, 3, 1, 1))
        self.reg_loss.std.copy_(self.data_preprocessor.std.view(1, 3, 1, 1))
        self.par = PAR(**self.train_cfg['par'])

    @staticmethod
    def _settings(defaults: dict, given: OptConfigType, name: str) -> dict:
        given = dict(given or {})
        unknown = set(given) - set(defaults)
        if unknown:
            raise InputKeyError(f'{name}: unknown keys {sorted(unknown)}; '
                                f'expected {sorted(defaults)}')
        return dict(copy.deepcopy(defaults), **given)

    def init_weights(self) -> None:
        init_cfg = self.backbone.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get(
                'type') == 'Pretrained' and not osp.isfile(
                    init_cfg['checkpoint']):
            path = init_cfg['checkpoint']
            raise InputFileNotFoundError(
                f"{path}: the backbone's pretrained checkpoint "
                '(model.backbone.init_cfg) does not exist; ' +
                CONVERT_HINT.format(path=path))
        super().init_weights()
        # The teacher starts as the student (ToCo copies it at build time;
        # here after the student's init, which may load weights).
        self.projection_head_teacher.load_state_dict(
            self.projection_head.state_dict())

    @property
    def num_classes(self) -> int:
        """Foreground classes (the classifiers' outputs)."""
        return self.classifier.out_channels

    # ------------------------------------------------------------------
    # Features, CAMs and segmentation.
    def extract_tokens(self, inputs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """``(last, aux, cls)``: the last layer's patch tokens ``[B, C, h,
        w]`` (after the final norm), the auxiliary layer's (before it) and
        the last layer's class token ``[B, C]``."""
        (aux, _), (last, cls_token) = self.backbone(inputs)
        return last, aux, cls_token

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        last, aux, _ = self.extract_tokens(inputs)
        return [aux, last]

    def forward_cams_with_aux(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Raw CAMs of the classifier and of the auxiliary classifier."""
        last, aux, _ = self.extract_tokens(inputs)
        return (F.conv2d(last, self.classifier.weight),
                F.conv2d(aux, self.aux_classifier.weight))

    def forward_cam(self, inputs: Tensor) -> Tensor:
        """Raw CAMs ``[B, K, h, w]`` of the classifier (CAM files)."""
        last, _, _ = self.extract_tokens(inputs)
        return F.conv2d(last, self.classifier.weight)

    def classify(self, last: Tensor, aux: Tensor) -> Tuple[Tensor, Tensor]:
        """Image logits of both classifiers (global max pooling, or
        average with ``pooling='avg'``)."""
        pool = F.adaptive_max_pool2d if self.pooling == 'max' else \
            F.adaptive_avg_pool2d
        logits = self.classifier(pool(last, 1)).flatten(1)
        logits_aux = self.aux_classifier(pool(aux, 1)).flatten(1)
        return logits, logits_aux

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Segmentation logits at the input's size."""
        last, _, _ = self.extract_tokens(inputs)
        return F.interpolate(
            self.decode_head(last),
            size=inputs.shape[-2:],
            mode='bilinear',
            align_corners=False)

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        last, _, _ = self.extract_tokens(inputs)
        return self.decode_head(last)

    @torch.no_grad()
    def online_cams(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """ToCo's ``multi_scale_cam2``: CAMs and auxiliary CAMs at the
        input's size, each scale's the maximum of the image's and its
        flip's, ReLU'd, summed over ``train_cfg['cam_scales']`` and min-max
        normalised per map."""
        b, _, h, w = inputs.shape
        # The official loop runs scale 1 first, then the others.
        scales = [1.0] + [s for s in self.train_cfg['cam_scales'] if s != 1]
        totals = [0, 0]
        for scale in scales:
            x = inputs if scale == 1.0 else F.interpolate(
                inputs, size=(int(scale * h), int(scale * w)),
                mode='bilinear', align_corners=False)
            both = self.forward_cams_with_aux(torch.cat([x, x.flip(-1)]))
            for index, cams in enumerate(both):
                cams = F.interpolate(
                    cams, size=(h, w), mode='bilinear', align_corners=False)
                cams = torch.max(cams[:b], cams[b:].flip(-1))
                totals[index] = totals[index] + F.relu(cams)
        out = []
        for cams in totals:
            cams = cams - cams.amin(dim=(2, 3), keepdim=True)
            out.append(cams / (cams.amax(dim=(2, 3), keepdim=True) + 1e-5))
        return out[0], out[1]

    def cam_inference_defaults(self) -> dict:
        """Scales and flip of CAM files (``tools/make_cams.py``)."""
        return dict(
            scales=tuple(self.test_cfg['cam_scales']),
            flip=self.test_cfg['cam_flip'])

    def multi_scale_cams(
        self,
        inputs: Tensor,
        cam_fn: Optional[Callable[[Tensor], Tensor]] = None,
        strided_stride: Optional[int] = None
    ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """The classifier's CAMs summed over ``test_cfg['cam_scales']`` and
        flips (the CAM-file convention of every mmwsss method; see
        :func:`~mmwsss.models.utils.cam_inference.multi_scale_cams`)."""
        return multi_scale_cams(
            cam_fn or self.forward_cam,
            inputs,
            scales=self.test_cfg['cam_scales'],
            flip=self.test_cfg['cam_flip'],
            output_stride=self.backbone.patch_size if isinstance(
                self.backbone.patch_size, int) else 16,
            strided_stride=strided_stride)

    def multi_scale_seg_logits(self, image: Tensor) -> Tensor:
        """ToCo's test-time segmentation: at each of ``test_cfg['scales']``
        the logits of the image and its flip, upsampled to the image's size
        and merged by ``flip_merge``, then over scales by ``scale_merge``
        (VOC: flips summed, the scales' maximum; COCO: the flips' maximum,
        scales summed). ``[B, C, H, W]``."""
        h, w = image.shape[-2:]
        merged = None
        for scale in self.test_cfg['scales']:
            x = image if scale == 1.0 else F.interpolate(
                image, size=(int(h * scale), int(w * scale)),
                mode='bilinear', align_corners=False)
            if self.test_cfg['flip']:
                x = torch.cat([x, x.flip(-1)])
            logits = F.interpolate(
                self._forward(x), size=(h, w), mode='bilinear',
                align_corners=False)
            if self.test_cfg['flip']:
                logits = self._merge(logits[:image.shape[0]],
                                     logits[image.shape[0]:].flip(-1),
                                     self.test_cfg['flip_merge'])
            merged = logits if merged is None else self._merge(
                merged, logits, self.test_cfg['scale_merge'])
        return merged

    @staticmethod
    def _merge(a: Tensor, b: Tensor, how: str) -> Tensor:
        return torch.max(a, b) if how == 'max' else a + b

    def denormalize(self, inputs: Tensor) -> Tensor:
        """RGB in [0, 1] of normalised inputs, through uint8 as ToCo's
        ``denormalize_img2`` (truncating)."""
        pre = self.data_preprocessor
        pixels = inputs * pre.std + pre.mean
        return pixels.clamp(0, 255).to(torch.uint8).float() / 255

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        if data_samples is None:
            data_samples = [None] * inputs.shape[0]
        results = []
        crf = self.test_cfg['crf']
        with torch.no_grad():
            for i, sample in enumerate(data_samples):
                meta = sample.metainfo if sample is not None else {}
                h, w = meta.get('img_shape', inputs.shape[-2:])
                image = inputs[i:i + 1, :, :h, :w]
                logits = self.multi_scale_seg_logits(image)
                ori_shape = tuple(meta.get('ori_shape', (h, w)))
                if ori_shape != (h, w):
                    logits = F.interpolate(
                        logits, size=ori_shape, mode='bilinear',
                        align_corners=False)
                    image = F.interpolate(
                        image, size=ori_shape, mode='bilinear',
                        align_corners=False)
                probs = logits[0].softmax(dim=0)
                if crf is not None:
                    rgb = (self.denormalize(image)[0] * 255).byte()
                    posterior = dense_crf(
                        rgb.permute(1, 2, 0).cpu().numpy(),
                        probs.cpu().numpy(), **dict(TOCO_CRF, **crf))
                    probs = torch.from_numpy(posterior).to(probs.device)
                if sample is None:
                    sample = SegDataSample()
                sample.set_data(
                    dict(
                        seg_logits=PixelData(data=probs),
                        pred_sem_seg=PixelData(
                            data=probs.argmax(dim=0, keepdim=True))))
                if 'gt_img_labels' in sample:
                    # The classifier's scores, for mmpretrain's mAP.
                    last, aux, _ = self.extract_tokens(inputs[i:i + 1, :, :h,
                                                              :w])
                    sample.set_data(
                        dict(
                            pred_score=self.classify(last,
                                                     aux)[0][0].sigmoid(),
                            gt_score=sample.gt_img_labels))
                results.append(sample)
        return results

    # ------------------------------------------------------------------
    # Training.
    def normalized_views(self, data_samples: SampleList, key: str,
                         device: torch.device) -> Tensor:
        """The samples' ``key`` views (uint8 ``[3, H, W]`` in the loaded
        channel order), normalised as the inputs are."""
        views = []
        for sample in data_samples:
            if key not in sample:
                raise InputKeyError(
                    f"{sample.metainfo.get('img_path', 'a sample')}: no "
                    f"'{key}' in the data sample; ToCo's train pipeline "
                    'needs TokenContrastGlobalView and TokenContrastLocal'
                    'View, packed by PackWSSSInputs(view_keys=...)')
            views.append(sample.get(key))
        views = torch.stack(views).to(device).float()
        pre = self.data_preprocessor
        if pre.channel_conversion:
            views = views[:, [2, 1, 0]]
        return (views - pre.mean) / pre.std

    @torch.no_grad()
    def update_teacher(self) -> None:
        """EMA of the projection head (ToCo's constant momentum)."""
        m = self.train_cfg['teacher_momentum']
        for param, param_t in zip(self.projection_head.parameters(),
                                  self.projection_head_teacher.parameters()):
            param_t.mul_(m).add_(param.detach(), alpha=1 - m)

    @staticmethod
    def _zero_gradients(module: nn.Module) -> Tensor:
        """A zero loss whose gradient reaches every trained parameter of
        ``module`` (as zeros)."""
        return sum(p.sum() for p in module.parameters()
                   if p.requires_grad) * 0

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        cfg = self.train_cfg
        iteration = current_train_iter()
        active = {
            name: iteration >= start and cfg['loss_weights'][name] != 0
            for name, start in cfg['loss_start'].items()
        }
        weights = cfg['loss_weights']
        b, _, h, w = inputs.shape
        labels = torch.stack([s.gt_img_labels for s in data_samples
                              ]).to(inputs.device)
        boxes = torch.tensor([
            s.metainfo.get('img_box', (0, h, 0, w)) for s in data_samples
        ], device=inputs.device)
        inside = box_mask(boxes, (h, w))
        high, low = cfg['high_threshold'], cfg['low_threshold']
        ignore_index = cfg['ignore_index']
        cams, cams_aux = self.online_cams(inputs)

        last, aux, cls_token = self.extract_tokens(inputs)
        logits, logits_aux = self.classify(last, aux)
        losses = dict(
            loss_cls=weights['cls'] *
            F.multilabel_soft_margin_loss(logits, labels),
            loss_cls_aux=weights['cls_aux'] *
            F.multilabel_soft_margin_loss(logits_aux, labels))

        # The official step runs the EMA and every loss from the first
        # iteration, a loss before its start at weight 0: its parameters
        # then get zero gradients, which AdamW counts (its bias correction)
        # and decays. mmwsss computes no such loss but gives its
        # parameters the same zero gradients.
        self.update_teacher()
        idle = [name for name in ('ctc', 'seg', 'reg') if not active[name]]
        if 'ctc' in idle:
            losses['loss_ctc'] = self._zero_gradients(self.projection_head)
        if 'seg' in idle and 'reg' in idle:
            losses['loss_seg'] = self._zero_gradients(self.decode_head)

        if active['ctc']:
            regions = region_mask(cams_aux, labels, high, low)
            crops, flags = crop_uncertain_regions(
                self.normalized_views(data_samples, 'local_view',
                                      inputs.device), regions,
                cfg['num_local_crops'], cfg['local_crop_size'],
                cfg['negative_ratio'])
            # The first global view is the input itself: its class token
            # is reused (the official code runs the encoder on it again,
            # with the same result).
            _, _, global_token = self.extract_tokens(
                self.normalized_views(data_samples, 'global_view',
                                      inputs.device))
            _, _, local_tokens = self.extract_tokens(torch.cat(crops))
            global_tokens = torch.cat([cls_token, global_token])
            teacher = self.projection_head_teacher(global_tokens.detach())
            student = self.projection_head(
                torch.cat([global_tokens, local_tokens]))
            losses['loss_ctc'] = weights['ctc'] * class_token_contrast_loss(
                student, teacher, flags, cfg['ctc_temperature'])

        if active['seg'] or active['reg']:
            source = cams_aux if iteration < cfg['aux_labels_until'] else cams
            valid, _ = cams_to_labels(source, labels, high, low, inside,
                                      ignore_index)
            pseudo = refine_labels_with_background(
                self.par, self.denormalize(inputs), valid, labels, high, low,
                inside, cfg['par_down_scale'], ignore_index)
            seg = F.interpolate(
                self.decode_head(last), size=(h, w), mode='bilinear',
                align_corners=False)
            if active['seg']:
                losses['loss_seg'] = weights['seg'] * balanced_seg_loss(
                    seg, pseudo, ignore_index)
            if active['reg']:
                losses['loss_reg'] = weights['reg'] * self.reg_loss(
                    inputs, seg, inside.float(), pseudo)

        if active['ptc']:
            grid = last.shape[-2:]
            small = F.interpolate(
                cams_aux, size=grid, mode='bilinear', align_corners=False)
            _, aux_labels = cams_to_labels(small, labels, high, low,
                                           box_mask(boxes, grid, (h, w)),
                                           ignore_index)
            losses['loss_ptc'] = weights['ptc'] * patch_token_contrast_loss(
                last, affinity_from_labels(aux_labels, ignore_index))
        return losses
