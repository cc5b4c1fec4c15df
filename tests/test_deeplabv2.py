"""DeepLab-v2: ASPP, backbone, multi-scale inputs and solver against
re-typed deeplab-pytorch (kazuto1011/deeplab-pytorch, the implementation
the IRN-lineage WSSS papers train), configs, and a tiny Runner training."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from PIL import Image
from test_segmentation import copy_masks_as_pseudo_labels

from mmwsss.apis import load_config
from mmwsss.models.heads.aspp_v2_head import subsample_labels
from conftest import TINY_CLASSES, no_worker_options

VOC_CONFIG = 'deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12-pseudo-321x321.py'
COCO_CONFIG = 'deeplabv2/deeplabv2_r101-d8_1xb10-100k_coco14-pseudo-321x321.py'
R50_CONFIG = 'deeplabv2/deeplabv2_r50-d8_1xb10-20k_voc12-pseudo-321x321.py'
DEMO_CONFIG = 'demo/deeplabv2_r18_demo.py'


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """The tiny tensors here run far faster on one thread than on several
    competing for a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- deeplab-pytorch, re-typed (libs/models/{resnet,deeplabv2,msc}.py and
# main.py), BatchNorm2d for its optional SyncBatchNorm. ---


class _ConvBnReLU(nn.Sequential):

    BATCH_NORM = nn.BatchNorm2d

    def __init__(self, in_ch, out_ch, kernel_size, stride, padding, dilation,
                 relu=True):
        super(_ConvBnReLU, self).__init__()
        self.add_module(
            "conv",
            nn.Conv2d(in_ch, out_ch, kernel_size, stride, padding, dilation,
                      bias=False),
        )
        self.add_module("bn", nn.BatchNorm2d(out_ch, eps=1e-5,
                                             momentum=1 - 0.999))
        if relu:
            self.add_module("relu", nn.ReLU())


class _Bottleneck(nn.Module):

    def __init__(self, in_ch, out_ch, stride, dilation, downsample):
        super(_Bottleneck, self).__init__()
        mid_ch = out_ch // 4
        self.reduce = _ConvBnReLU(in_ch, mid_ch, 1, stride, 0, 1, True)
        self.conv3x3 = _ConvBnReLU(mid_ch, mid_ch, 3, 1, dilation, dilation,
                                   True)
        self.increase = _ConvBnReLU(mid_ch, out_ch, 1, 1, 0, 1, False)
        self.shortcut = (
            _ConvBnReLU(in_ch, out_ch, 1, stride, 0, 1, False)
            if downsample
            else nn.Identity()
        )

    def forward(self, x):
        h = self.reduce(x)
        h = self.conv3x3(h)
        h = self.increase(h)
        h += self.shortcut(x)
        return F.relu(h)


class _ResLayer(nn.Sequential):

    def __init__(self, n_layers, in_ch, out_ch, stride, dilation,
                 multi_grids=None):
        super(_ResLayer, self).__init__()
        if multi_grids is None:
            multi_grids = [1 for _ in range(n_layers)]
        for i in range(n_layers):
            self.add_module(
                "block{}".format(i + 1),
                _Bottleneck(
                    in_ch=(in_ch if i == 0 else out_ch),
                    out_ch=out_ch,
                    stride=(stride if i == 0 else 1),
                    dilation=dilation * multi_grids[i],
                    downsample=(True if i == 0 else False),
                ),
            )


class _Stem(nn.Sequential):

    def __init__(self, out_ch):
        super(_Stem, self).__init__()
        self.add_module("conv1", _ConvBnReLU(3, out_ch, 7, 2, 3, 1))
        self.add_module("pool", nn.MaxPool2d(3, 2, 1, ceil_mode=True))


class _ASPP(nn.Module):

    def __init__(self, in_ch, out_ch, rates):
        super(_ASPP, self).__init__()
        for i, rate in enumerate(rates):
            self.add_module(
                "c{}".format(i),
                nn.Conv2d(in_ch, out_ch, 3, 1, padding=rate, dilation=rate,
                          bias=True),
            )
        for m in self.children():
            nn.init.normal_(m.weight, mean=0, std=0.01)
            nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return sum([stage(x) for stage in self.children()])


class DeepLabV2(nn.Sequential):

    def __init__(self, n_classes, n_blocks, atrous_rates):
        super(DeepLabV2, self).__init__()
        ch = [64 * 2**p for p in range(6)]
        self.add_module("layer1", _Stem(ch[0]))
        self.add_module("layer2", _ResLayer(n_blocks[0], ch[0], ch[2], 1, 1))
        self.add_module("layer3", _ResLayer(n_blocks[1], ch[2], ch[3], 2, 1))
        self.add_module("layer4", _ResLayer(n_blocks[2], ch[3], ch[4], 1, 2))
        self.add_module("layer5", _ResLayer(n_blocks[3], ch[4], ch[5], 1, 4))
        self.add_module("aspp", _ASPP(ch[5], n_classes, atrous_rates))


class MSC(nn.Module):

    def __init__(self, base, scales=None):
        super(MSC, self).__init__()
        self.base = base
        if scales:
            self.scales = scales
        else:
            self.scales = [0.5, 0.75]

    def forward(self, x):
        logits = self.base(x)
        _, _, H, W = logits.shape
        interp = lambda t: F.interpolate(  # noqa: E731
            t, size=(H, W), mode="bilinear", align_corners=False)
        logits_pyramid = []
        for p in self.scales:
            h = F.interpolate(x, scale_factor=p, mode="bilinear",
                              align_corners=False)
            logits_pyramid.append(self.base(h))
        logits_all = [logits] + [interp(t) for t in logits_pyramid]
        logits_max = torch.max(torch.stack(logits_all), dim=0)[0]
        if self.training:
            return [logits] + logits_pyramid + [logits_max]
        else:
            return logits_max


def get_params(model, key):
    if key == "1x":
        for m in model.named_modules():
            if "layer" in m[0]:
                if isinstance(m[1], nn.Conv2d):
                    for p in m[1].parameters():
                        yield p
    if key == "10x":
        for m in model.named_modules():
            if "aspp" in m[0]:
                if isinstance(m[1], nn.Conv2d):
                    yield m[1].weight
    if key == "20x":
        for m in model.named_modules():
            if "aspp" in m[0]:
                if isinstance(m[1], nn.Conv2d):
                    yield m[1].bias


def resize_labels(labels, size):
    new_labels = []
    for label in labels:
        label = label.float().numpy()
        label = Image.fromarray(label).resize(size, resample=Image.NEAREST)
        new_labels.append(np.asarray(label))
    new_labels = torch.LongTensor(np.stack(new_labels))
    return new_labels


def official_loss(logits, labels):
    """main.py's training loss of one batch (ITER_SIZE 1)."""
    criterion = nn.CrossEntropyLoss(ignore_index=255)
    iter_loss = 0
    for logit in logits:
        _, _, H, W = logit.shape
        labels_ = resize_labels(labels, size=(H, W))
        iter_loss += criterion(logit, labels_)
    return iter_loss


# --- ours ---


def aspp_head(in_channels=8, num_classes=5):
    return MODELS.build(
        dict(
            type='ASPPV2Head',
            in_channels=in_channels,
            in_index=0,
            num_classes=num_classes,
            loss_decode=dict(
                type='CrossEntropyLoss', loss_weight=1.0,
                avg_non_ignore=True)))


def tiny_model_cfg(num_classes=5):
    """The config's DeepLab-v2 on a narrow ResNet-18 (same strides,
    dilations, frozen BN and head settings)."""
    cfg = load_config(VOC_CONFIG).model
    cfg.data_preprocessor = None
    cfg.backbone.update(
        depth=18, stem_channels=8, base_channels=8, init_cfg=None)
    cfg.decode_head.update(in_channels=64, num_classes=num_classes)
    return cfg


def test_aspp_matches_official_forward():
    torch.manual_seed(0)
    head = aspp_head()
    head.init_weights()
    official = _ASPP(8, 5, [6, 12, 18, 24])
    with torch.no_grad():
        for i, branch in enumerate(head.aspp):
            branch.bias.normal_()  # so that the biases are summed too
            getattr(official, f'c{i}').weight.copy_(branch.weight)
            getattr(official, f'c{i}').bias.copy_(branch.bias)
    x = torch.randn(2, 8, 29, 31)
    torch.testing.assert_close(head([x]), official(x))
    # The branches are the whole head: no 1x1 classifier, no dropout.
    assert [name for name, _ in head.named_parameters()] == [
        f'aspp.{i}.{p}' for i in range(4) for p in ('weight', 'bias')
    ]
    assert [b.dilation for b in head.aspp] == [(d, d) for d in (6, 12, 18, 24)]
    with pytest.raises(TypeError, match='channels'):
        MODELS.build(
            dict(type='ASPPV2Head', in_channels=8, channels=4, num_classes=5))


def test_aspp_initialisation_as_official():
    torch.manual_seed(0)
    head = aspp_head(in_channels=256, num_classes=21)
    head.init_weights()
    for branch in head.aspp:
        assert torch.all(branch.bias == 0)
        assert abs(branch.weight.mean().item()) < 1e-3
        assert branch.weight.std().item() == pytest.approx(0.01, rel=0.03)


@pytest.mark.parametrize('src,dst', [(321, 41), (161, 21), (240, 30),
                                     (65, 9), (50, 7)])
def test_label_subsampling_matches_pillow_nearest(src, dst):
    labels = torch.randint(0, 21, (2, src, src))
    labels[:, :src // 3] = 255
    ours = subsample_labels(labels[:, None], (dst, dst))[:, 0]
    assert torch.equal(ours, resize_labels(labels, (dst, dst)))


@pytest.fixture(scope='module')
def resnet101_pair():
    """Official DeepLabV2 (ResNet-101) and ours from the VOC config, with
    the same random weights and BN statistics."""
    init_default_scope('mmseg')  # before conftest's per-test fixture
    torch.manual_seed(0)
    official = DeepLabV2(21, [3, 4, 23, 3], [6, 12, 18, 24])
    cfg = load_config(VOC_CONFIG).model
    cfg.backbone.init_cfg = None
    ours = MODELS.build(cfg)
    ours.init_weights()
    official_layers = [
        m for m in official.modules()
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))
    ]
    our_layers = [
        m for m in ours.modules()
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))
    ]
    assert len(official_layers) == len(our_layers)
    with torch.no_grad():
        for a, b in zip(official_layers, our_layers):
            assert type(a) is type(b)
            assert a.weight.shape == b.weight.shape
            if isinstance(a, nn.Conv2d):
                assert (a.stride, a.padding, a.dilation) == (b.stride,
                                                             b.padding,
                                                             b.dilation)
            else:
                a.weight.uniform_(0.5, 1.5)
                a.bias.normal_(0, 0.1)
                a.running_mean.normal_(0, 0.1)
                a.running_var.uniform_(0.5, 1.5)
                b.running_mean.copy_(a.running_mean)
                b.running_var.copy_(a.running_var)
            b.weight.copy_(a.weight)
            if a.bias is not None:
                b.bias.copy_(a.bias)
    return official, ours


def test_backbone_and_head_match_official_deeplabv2(resnet101_pair):
    official, ours = resnet101_pair
    official.eval()
    ours.train()  # norm_eval keeps the frozen BN in eval mode
    x = torch.randn(1, 3, 65, 65)  # odd sizes: see README (max-pool)
    with torch.no_grad():
        expected = official(x)
        got = ours.decode_head(ours.extract_feat(x))
    assert got.shape == (1, 21, 9, 9)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_solver_groups_match_official_get_params(resnet101_pair):
    official, ours = resnet101_pair
    base_lr, wd = 2.5e-4, 5e-4
    optimizer = torch.optim.SGD(
        params=[
            {'params': get_params(official, key='1x'), 'lr': base_lr,
             'weight_decay': wd},
            {'params': get_params(official, key='10x'), 'lr': 10 * base_lr,
             'weight_decay': wd},
            {'params': get_params(official, key='20x'), 'lr': 20 * base_lr,
             'weight_decay': 0.0},
        ],
        momentum=0.9)
    expected = sorted((tuple(p.shape), g['lr'], g['weight_decay'])
                      for g in optimizer.param_groups for p in g['params'])
    wrapper = build_optim_wrapper(ours, load_config(VOC_CONFIG).optim_wrapper)
    groups = wrapper.optimizer.param_groups
    got = sorted((tuple(p.shape), pytest.approx(g['lr']), g['weight_decay'])
                 for g in groups for p in g['params'] if p.requires_grad)
    assert got == expected
    assert all(g['momentum'] == 0.9 for g in groups)
    # BN is not optimised (deeplab-pytorch passes no BN parameter to SGD).
    assert not any(p.requires_grad for m in ours.modules()
                   if isinstance(m, nn.BatchNorm2d) for p in m.parameters())


def tiny_pair(num_classes=5):
    torch.manual_seed(0)
    ours = MODELS.build(tiny_model_cfg(num_classes))
    ours.init_weights()

    class Base(nn.Module):

        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, x):
            return self.model.decode_head(self.model.extract_feat(x))

    return ours, MSC(Base(ours), scales=[0.5, 0.75])


def samples_of(labels):
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return samples


def test_msc_training_loss_matches_official():
    ours, official = tiny_pair()
    ours.train()
    official.train()
    x = torch.randn(2, 3, 65, 65)
    labels = torch.randint(0, 5, (2, 65, 65))
    labels[0, 40:] = 255
    expected_logits = official(x)
    logits = ours.scale_logits(x)
    logits.append(ours.fuse_max(logits))
    assert len(logits) == len(expected_logits) == 4
    for got, expected in zip(logits, expected_logits):
        torch.testing.assert_close(got, expected)
    losses = ours.loss(x, samples_of(labels))
    assert sorted(k for k in losses if 'loss' in k) == [
        'decode_0.5x.loss_ce', 'decode_0.75x.loss_ce', 'decode_1x.loss_ce',
        'decode_max.loss_ce'
    ]
    total = sum(v for k, v in losses.items() if 'loss' in k)
    torch.testing.assert_close(total, official_loss(expected_logits, labels))


def test_msc_inference_matches_official():
    ours, official = tiny_pair()
    ours.eval()
    official.eval()
    x = torch.randn(1, 3, 57, 73)
    with torch.no_grad():
        expected = official(x)
        metas = [dict(img_shape=(57, 73), ori_shape=(57, 73))]
        got = ours.encode_decode(x, metas)
    torch.testing.assert_close(ours._forward(x), expected)
    # main.py's test upsamples the fused logits to the label size.
    torch.testing.assert_close(
        got,
        F.interpolate(
            expected, size=(57, 73), mode='bilinear', align_corners=False))


def test_msc_segmentor_takes_no_auxiliary_head():
    cfg = tiny_model_cfg()
    cfg.auxiliary_head = dict(type='FCNHead', in_channels=32, channels=8,
                              num_classes=5)
    with pytest.raises(ValueError, match='auxiliary_head'):
        MODELS.build(cfg)


def test_configs_build_and_inherit():
    voc = load_config(VOC_CONFIG)
    coco = load_config(COCO_CONFIG)
    for cfg, classes, iters in ((voc, 21, 20000), (coco, 81, 100000)):
        model = cfg.model
        assert model.type == 'MSCEncoderDecoder'
        assert tuple(model.msc_scales) == (0.5, 0.75)
        backbone = model.backbone
        assert (backbone.type, backbone.depth, backbone.style) == ('ResNet',
                                                                   101,
                                                                   'caffe')
        assert tuple(backbone.strides) == (1, 2, 1, 1)
        assert tuple(backbone.dilations) == (1, 1, 2, 4)
        assert backbone.contract_dilation is False
        assert backbone.norm_eval and not backbone.norm_cfg.requires_grad
        assert backbone.init_cfg.checkpoint == \
            'open-mmlab://detectron2/resnet101_caffe'
        assert model.decode_head.type == 'ASPPV2Head'
        assert tuple(model.decode_head.dilations) == (6, 12, 18, 24)
        assert model.decode_head.num_classes == classes
        preprocessor = model.data_preprocessor
        assert preprocessor.mean == [104.008, 116.669, 122.675]
        assert preprocessor.std == [1.0, 1.0, 1.0]
        assert not preprocessor.bgr_to_rgb
        assert tuple(preprocessor.size) == (321, 321)
        assert cfg.train_dataloader.batch_size == 10
        pipeline = cfg.train_dataloader.dataset.pipeline
        assert [t['type'] for t in pipeline] == [
            'LoadImageFromFile', 'LoadAnnotations', 'RandomChoice',
            'RandomCrop', 'RandomFlip', 'PackWSSSInputs'
        ]
        assert [c[0]['scale_factor'] for c in pipeline[2]['transforms']
                ] == [0.5, 0.75, 1.0, 1.25, 1.5]
        assert tuple(pipeline[3]['crop_size']) == (321, 321)
        assert 'Resize' not in [
            t['type'] for t in cfg.val_dataloader.dataset.pipeline
        ]
        optimizer = cfg.optim_wrapper.optimizer
        assert (optimizer.type, optimizer.lr, optimizer.momentum,
                optimizer.weight_decay) == ('SGD', 2.5e-4, 0.9, 5e-4)
        (poly, ) = cfg.param_scheduler
        assert (poly.type, poly.power, poly.eta_min, poly.end) == ('PolyLR',
                                                                   0.9, 0.,
                                                                   iters)
        assert cfg.train_cfg.max_iters == iters
        assert cfg.train_cfg.type == 'IterBasedTrainLoop'
        built = MODELS.build(cfg.model)
        assert built.decode_head.aspp[0].out_channels == classes
    assert voc.train_dataloader.dataset.type == 'PseudoLabelDataset'
    assert coco.train_dataloader.dataset.type == 'WSSSCOCODataset'
    assert coco.train_dataloader.dataset.data_prefix.seg_map_path == \
        'pseudo_labels/train2014'


def test_r50_and_demo_configs_inherit():
    voc = load_config(VOC_CONFIG)
    r50 = load_config(R50_CONFIG)
    assert r50.model.backbone.depth == 50
    assert r50.model.backbone.init_cfg.checkpoint == \
        'open-mmlab://detectron2/resnet50_caffe'
    assert MODELS.build(r50.model).backbone.depth == 50
    # Everything else is the R-101 config's.
    r50.model.backbone.depth = 101
    r50.model.backbone.init_cfg = voc.model.backbone.init_cfg
    assert r50.model == voc.model
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg',
                'train_dataloader', 'val_dataloader'):
        assert r50[key] == voc[key], key

    demo = load_config(DEMO_CONFIG)
    assert demo.model.type == 'MSCEncoderDecoder'
    assert demo.model.decode_head.type == 'ASPPV2Head'
    assert demo.model.backbone.init_cfg is None
    assert demo.model.backbone.norm_cfg.requires_grad
    assert 'paramwise_cfg' not in demo.optim_wrapper
    assert demo.train_dataloader.dataset.data_root == 'data/demo'
    assert demo.train_cfg.max_iters == demo.param_scheduler[0].end == 400
    model = MODELS.build(demo.model)
    assert model.decode_head.aspp[0].in_channels == 256


def test_tiny_training_through_runner(tiny_data, tmp_path):
    """Two iterations of the VOC config, shrunk, on pseudo labels (the
    tiny dataset's masks), then validation with the multi-scale fusion."""
    label_dir = str(tmp_path / 'pseudo')
    copy_masks_as_pseudo_labels(tiny_data, label_dir)
    options = {
        'model.backbone.depth': 18,
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.backbone.init_cfg': None,
        'model.decode_head.in_channels': 64,
        'model.decode_head.num_classes': TINY_CLASSES + 1,
        'model.data_preprocessor.size': (64, 64),
        'train_dataloader.batch_size': 4,
        'train_dataloader.dataset.ann_file':
        'ImageSets/Segmentation/train.txt',
        'train_dataloader.dataset.pseudo_label_dir': label_dir,
        'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
    }
    options.update(no_worker_options())
    cfg = load_config(
        VOC_CONFIG, options, work_dir=str(tmp_path / 'work'),
        data_root=tiny_data)
    init_default_scope('mmseg')
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    for name in ('1x', '0.5x', '0.75x', 'max'):
        loss = hub.get_scalar(f'train/decode_{name}.loss_ce').current()
        assert np.isfinite(loss) and loss > 0
    assert 0 <= hub.get_scalar('val/mIoU').current() <= 100
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
    # The solver's ratios survive the scheduler: 1x / 10x / 20x.
    lrs = sorted({g['lr'] for g in runner.optim_wrapper.param_groups})
    assert len(lrs) == 3
    assert lrs[1] == pytest.approx(10 * lrs[0])
    assert lrs[2] == pytest.approx(20 * lrs[0])
