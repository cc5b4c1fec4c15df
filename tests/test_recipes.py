"""The VOC/COCO recipes of CAM, ReCAM, ADL, Hide-and-Seek and OC-CSE
against their official code: configs, backbone weights, freezing,
optimiser groups, and literal re-implementations of the official lines
(IRN, ReCAM, OC-CSE, wsolevaluation's ADL, Hide-and-Seek) on small
tensors."""
import glob
import os.path as osp
import random
from types import SimpleNamespace

import mmcv
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from mmengine.hooks import RuntimeInfoHook
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.optim.scheduler import PolyLR
from mmseg.registry import MODELS, TRANSFORMS
from PIL import Image
from torch.nn.modules.batchnorm import _BatchNorm
from torchvision.transforms import functional as TF

from mmwsss.apis import load_config
from mmwsss.models.backbones import ADL, ADLResNet
from conftest import REPO_ROOT
from test_models import sample_with_labels

METHOD_FOLDERS = ('cam', 'recam', 'adl', 'has', 'cse')
RECIPES = sorted(
    osp.relpath(p, osp.join(REPO_ROOT, 'configs')) for folder in METHOD_FOLDERS
    for p in glob.glob(osp.join(REPO_ROOT, 'configs', folder, '*.py')))
TORCHVISION_LAYOUT = [c for c in RECIPES if '-v1c' not in c]

# Which backbone parameters each recipe trains, as the official networks
# do: IRN's Net freezes conv1/bn1 and detaches after layer2; ReCAM's Net
# freezes conv1/bn1 only; OC-CSE's Net_er freezes its first stage and every
# BN layer (here: stem, layer1 and all BN of the ResNet-50).
IRN_FREEZING = [
    'cam/cam_r50_voc.py', 'cam/cam_r50-v1c_voc.py', 'adl/adl_r50_voc.py',
    'adl/adl_r50-v1c_voc.py', 'has/has_r50_voc.py', 'has/has_r50-v1c_voc.py',
    'cse/cse_r50_irn-recipe_voc.py'
]
RECAM_FREEZING = [
    'cam/cam_r50_coco.py', 'recam/cam_r50_voc_recam.py',
    'recam/cam_r50-v1c_voc_recam.py', 'recam/recam_r50_voc.py',
    'recam/recam_r50-v1c_voc.py', 'recam/recam_r50_coco.py'
]
OCCSE_FREEZING = ['cse/cse_r50_voc.py', 'cse/cse_r50-v1c_voc.py']


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """The tensors here are tiny: one intra-op thread is faster than
    OpenMP's on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def recipe(name, options=None):
    return load_config(osp.join(REPO_ROOT, 'configs', name), options)


def test_every_recipe_has_its_freezing_rule():
    assert sorted(IRN_FREEZING + RECAM_FREEZING + OCCSE_FREEZING) == RECIPES


# ---------------------------------------------------------------- configs


@pytest.mark.parametrize('name', RECIPES)
def test_recipe_builds_and_inherits_cleanly(name):
    cfg = recipe(name)
    model = MODELS.build(cfg.model)
    backbone = cfg.model.backbone
    v1c = '-v1c' in name
    assert backbone.type.endswith('ResNetV1c') == v1c
    assert type(model.backbone).__name__ == backbone.type
    # IRN's layout: output stride 16, ResNet-50, stride on the 3x3 conv.
    assert backbone.depth == 50 and backbone.style == 'pytorch'
    assert tuple(backbone.strides) == (1, 2, 2, 1)
    assert tuple(backbone.dilations) == (1, 1, 1, 1)
    assert backbone.norm_eval is True
    # Nothing of the deep-stem variant leaks into the torchvision layout.
    if not v1c:
        assert 'contract_dilation' not in backbone
        assert model.backbone.deep_stem is False
        assert model.backbone.conv1.kernel_size == (7, 7)
    # Real weights: ImageNet, or the checkpoint of the recipe's stage 1.
    if backbone.init_cfg is not None:
        expected = 'open-mmlab://resnet50_v1c' if v1c else \
            'torchvision://resnet50'
        assert backbone.init_cfg == dict(type='Pretrained',
                                         checkpoint=expected)
    else:
        assert cfg.load_from
    # A stage-1 checkpoint is that of the named config's last epoch.
    checkpoint = cfg.get('load_from') or cfg.model.get('ordinary_checkpoint')
    if checkpoint:
        # work_dirs/<config name>/epoch_<its last epoch>.pth
        stem = checkpoint.split('/')[1]
        found = glob.glob(osp.join(REPO_ROOT, 'configs', '*', stem + '.py'))
        assert len(found) == 1, checkpoint
        base = recipe(found[0])
        assert checkpoint == \
            f'work_dirs/{stem}/epoch_{base.train_cfg.max_epochs}.pth'
    # The train pipeline builds and yields crops of the model's size.
    pipeline = cfg.train_dataloader.dataset.pipeline
    transforms = [TRANSFORMS.build(t) for t in pipeline[1:-1]]
    results = dict(img=np.random.randint(0, 256, (300, 420, 3), np.uint8))
    results['img_shape'] = results['ori_shape'] = (300, 420)
    for t in transforms:
        results = t(results)
    size = cfg.model.data_preprocessor.size
    assert results['img'].shape[0] <= size[0]
    assert results['img'].shape[1] <= size[1]
    assert cfg.train_dataloader.drop_last is True


def test_recipe_values_from_the_official_run_scripts():
    cam = recipe('cam/cam_r50_voc.py')
    # IRN run_sample.py: cam_eval_thres, conf_fg/bg_thres, sem_seg_bg_thres.
    assert cam.model.test_cfg.bg_threshold == 0.15
    assert cam.ir_label_cfg == dict(fg_threshold=0.30, bg_threshold=0.05)
    assert cam.random_walk_cfg == dict(bg_threshold=0.25)
    assert cam.train_dataloader.batch_size == 16
    assert cam.train_cfg.max_epochs == 5
    # ReCAM run_sample.py / run_sample_coco.py.
    for name in ('recam/cam_r50_voc_recam.py', 'recam/recam_r50_voc.py'):
        cfg = recipe(name)
        assert cfg.model.test_cfg.bg_threshold == 0.21
        assert cfg.ir_label_cfg == dict(fg_threshold=0.35, bg_threshold=0.10)
        assert cfg.random_walk_cfg == dict(bg_threshold=0.28)
    for name in ('cam/cam_r50_coco.py', 'recam/recam_r50_coco.py'):
        cfg = recipe(name)
        assert cfg.model.test_cfg.bg_threshold == 0.15
        assert cfg.ir_label_cfg == dict(fg_threshold=0.35, bg_threshold=0.10)
        assert cfg.random_walk_cfg == dict(bg_threshold=0.25)
    voc, coco = recipe('recam/recam_r50_voc.py'), recipe(
        'recam/recam_r50_coco.py')
    assert voc.model.cam_head.recam_loss_weight == 1.0
    assert coco.model.cam_head.recam_loss_weight == 0.1
    assert (voc.train_dataloader.batch_size,
            coco.train_dataloader.batch_size) == (16, 6)
    assert voc.train_cfg.max_epochs == coco.train_cfg.max_epochs == 4
    # OC-CSE train.py.
    cse = recipe('cse/cse_r50_voc.py')
    assert cse.train_cfg.max_epochs == 15
    assert cse.train_dataloader.batch_size == 8
    assert tuple(cse.model.data_preprocessor.size) == (384, 384)
    assert (cse.model.loss_weight_base, cse.model.loss_weight_slope) == \
        (0.3, 0.05)
    assert cse.model.mask_norm == 'batch'
    # wsolevaluation config.py / resnet.py.
    adl = recipe('adl/adl_r50_voc.py').model.backbone
    assert (adl.adl_drop_rate, adl.adl_threshold) == (0.75, 0.9)
    # Hide-and-Seek opts.lua / hide_patch.py: 224 crops, scaled to 512.
    has = recipe('has/has_r50_voc.py').train_dataloader.dataset.pipeline
    hide = [t for t in has if t.type == 'HideAndSeek'][0]
    assert tuple(hide.grid_sizes) == tuple(
        round(g * 512 / 224) for g in (0, 16, 32, 44, 56))
    assert hide.hide_prob == 0.5


def test_ordinary_classifier_takes_the_cam_checkpoint_strictly():
    for cse_name, cam_name in (('cse/cse_r50_voc.py', 'cam/cam_r50_voc.py'),
                               ('cse/cse_r50-v1c_voc.py',
                                'cam/cam_r50-v1c_voc.py')):
        cse = recipe(cse_name)
        stem = osp.splitext(osp.basename(cam_name))[0]
        assert cse.model.ordinary_checkpoint.startswith(
            f'work_dirs/{stem}/')
        cam_cfg = recipe(cam_name).model
        cam_cfg.backbone.update(init_cfg=None, **NARROW)
        cam_cfg.cam_head.in_channels = 256
        cam = MODELS.build(cam_cfg)
        cse_cfg = cse.model
        cse_cfg.backbone.update(init_cfg=None, **NARROW)
        cse_cfg.ordinary_classifier.backbone.update(NARROW)
        cse_cfg.cam_head.in_channels = 256
        cse_cfg.ordinary_classifier.cam_head.in_channels = 256
        model = MODELS.build(cse_cfg)
        model.ordinary_classifier.load_state_dict(cam.state_dict(),
                                                  strict=True)


# ---------------------------------------------------------------- weights


@pytest.fixture(scope='module')
def torchvision_checkpoint(tmp_path_factory):
    """torchvision's ResNet-50 state dict (random weights) as a file."""
    torch.manual_seed(0)
    state = torchvision.models.resnet50(weights=None).state_dict()
    path = str(tmp_path_factory.mktemp('tv') / 'resnet50.pth')
    torch.save(state, path)
    return path, state


@pytest.mark.parametrize(
    'name',
    sorted({
        c
        for c in TORCHVISION_LAYOUT
        if 'adl' in c or c.endswith('cam_r50_voc.py')
    }))
def test_torchvision_weights_load_as_pretrained_init(name,
                                                     torchvision_checkpoint):
    """mmengine's Pretrained init (what torchvision://resnet50 resolves to)
    fills every backbone tensor; only torchvision's ImageNet ``fc`` is left
    over, as IRN pops it."""
    path, state = torchvision_checkpoint
    cfg = recipe(name).model.backbone
    cfg.init_cfg = dict(type='Pretrained', checkpoint=path)
    backbone = MODELS.build(cfg)
    backbone.init_weights()
    own = backbone.state_dict()
    assert set(state) - set(own) == {'fc.weight', 'fc.bias'}
    assert set(own) == set(state) - {'fc.weight', 'fc.bias'}
    for key, value in own.items():
        assert torch.equal(value, state[key]), key


def test_every_torchvision_recipe_backbone_has_torchvision_keys(
        torchvision_checkpoint):
    _, state = torchvision_checkpoint
    expected = {k: v.shape for k, v in state.items() if not k.startswith('fc')}
    backbones = {}
    for name in TORCHVISION_LAYOUT:
        cfg = recipe(name).model
        cfg.backbone.init_cfg = None
        backbones[repr(cfg.backbone)] = cfg.backbone
        if cfg.type == 'CSEClassifier':
            backbones[repr(cfg.ordinary_classifier.backbone)] = \
                cfg.ordinary_classifier.backbone
    for cfg in backbones.values():
        own = MODELS.build(cfg).state_dict()
        assert {k: v.shape for k, v in own.items()} == expected, cfg


# ---------------------------------------------------------------- freezing

# Narrow channels keep the ResNet-50 forward cheap; the parameter names
# (torchvision's, see the weight tests above) are unchanged.
NARROW = dict(base_channels=8, stem_channels=8)


def plain_resnet50():
    """torchvision's ResNet-50 layout with IRN's strides (2, 2, 2, 1), as a
    plain module: nothing frozen, BN in training mode."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='ResNet',
             depth=50,
             strides=(1, 2, 2, 1),
             out_indices=(3, ),
             style='pytorch',
             **NARROW))


def literal_irn_net(resnet, recam=False):
    """IRN's (or ReCAM's) net/resnet50_cam.py Net, re-typed: FixedBatchNorm
    normalises with the running statistics (BN in eval mode) and keeps
    gamma/beta trainable; Net.train() freezes conv1 and bn1; IRN's forward
    detaches the output of stage2, ReCAM's does not."""
    stage1 = nn.Sequential(resnet.conv1, resnet.bn1, resnet.relu,
                           resnet.maxpool, resnet.layer1)
    stage2 = nn.Sequential(resnet.layer2)
    stage3 = nn.Sequential(resnet.layer3)
    stage4 = nn.Sequential(resnet.layer4)
    classifier = nn.Conv2d(256, 20, 1, bias=False)

    def forward(x):
        x = stage1(x)
        x = stage2(x)
        if not recam:
            x = x.detach()
        x = stage3(x)
        x = stage4(x)
        x = torch.mean(x.view(x.size(0), x.size(1), -1), -1)
        x = classifier(x.view(x.size(0), x.size(1), 1, 1))
        return x.view(-1, 20)

    for p in resnet.conv1.parameters():
        p.requires_grad = False
    for p in resnet.bn1.parameters():
        p.requires_grad = False
    for m in resnet.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
    return forward


def literal_occse_net(resnet):
    """OC-CSE's Net_er.train(), re-typed on the ResNet-50 counterpart of
    its stages: not_training = [conv1a, b2, b2_1, b2_2] (here conv1 and
    layer1) loses requires_grad, and every BatchNorm2d goes to eval mode
    with weight and bias frozen."""
    for layer in [resnet.conv1, resnet.layer1]:
        for p in layer.parameters():
            p.requires_grad = False
    for layer in resnet.modules():
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.eval()
            layer.bias.requires_grad = False
            layer.weight.requires_grad = False
    classifier = nn.Conv2d(256, 20, 1, bias=False)

    def forward(x):
        x = resnet.maxpool(resnet.relu(resnet.bn1(resnet.conv1(x))))
        x = resnet.layer4(resnet.layer3(resnet.layer2(resnet.layer1(x))))
        return F.adaptive_avg_pool2d(classifier(x), 1).flatten(1)

    return forward


def names_with_grad(module):
    return {
        n
        for n, p in module.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }


def official_trained_names(rule):
    resnet = plain_resnet50()
    if rule == 'occse':
        forward = literal_occse_net(resnet)
    else:
        forward = literal_irn_net(resnet, recam=rule == 'recam')
    labels = torch.zeros(2, 20)
    labels[0, [0, 2]] = labels[1, 1] = 1
    F.multilabel_soft_margin_loss(forward(torch.randn(2, 3, 32, 32)),
                                  labels).backward()
    return names_with_grad(resnet)


@pytest.fixture(scope='module')
def official_trained():
    return {
        rule: official_trained_names(rule)
        for rule in ('irn', 'recam', 'occse')
    }


def rule_of(name):
    if name in IRN_FREEZING:
        return 'irn'
    return 'recam' if name in RECAM_FREEZING else 'occse'


def bn_buffers(module):
    return {
        f'{n}.{b}': getattr(m, b).clone()
        for n, m in module.named_modules() if isinstance(m, _BatchNorm)
        for b in ('running_mean', 'running_var', 'num_batches_tracked')
    }


@pytest.mark.parametrize('name', RECIPES)
def test_gradients_reach_exactly_the_official_parameters(
        name, official_trained):
    cfg = recipe(name).model
    cfg.backbone.update(init_cfg=None, **NARROW)
    cfg.cam_head.in_channels = 256
    if cfg.type == 'CSEClassifier':
        cfg.ordinary_checkpoint = None
        cfg.ordinary_classifier.backbone.update(NARROW)
        cfg.ordinary_classifier.cam_head.in_channels = 256
    model = MODELS.build(cfg)
    model.train()
    before = bn_buffers(model)
    num_classes = cfg.cam_head.num_classes
    labels = [[0.] * num_classes for _ in range(2)]
    labels[0][0] = labels[0][2] = labels[1][1] = 1.0
    samples = [sample_with_labels(row, (32, 32)) for row in labels]
    torch.manual_seed(0)
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    sum(losses.values()).backward()
    # BN statistics are never updated in training mode.
    after = bn_buffers(model)
    for key, value in before.items():
        assert torch.equal(value, after[key]), key
    trained = names_with_grad(model.backbone)
    expected = official_trained[rule_of(name)]
    if '-v1c' in name:
        # The deep stem's parameters differ in name; it is frozen by all.
        assert not any(n.startswith('stem') for n in trained)
        expected = {n for n in expected if not n.startswith(('conv1', 'bn1'))}
    assert trained == expected
    frozen = {
        n
        for n, p in model.backbone.named_parameters() if not p.requires_grad
    }
    assert not frozen & trained
    # The classifiers learn; the ordinary classifier does not.
    head = names_with_grad(model.cam_head)
    assert 'classifier.weight' in head
    if cfg.cam_head.type == 'ReCAMHead':
        assert 'recam_classifier.weight' in head
    if cfg.type == 'CSEClassifier':
        assert not names_with_grad(model.ordinary_classifier)


# ---------------------------------------------------------------- optimiser


def lr_and_decay_of_parameters(name):
    cfg = recipe(name)
    cfg.model.backbone.init_cfg = None
    if cfg.model.type == 'CSEClassifier':
        cfg.model.ordinary_checkpoint = None
    model = MODELS.build(cfg.model)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    settings = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            settings[id(p)] = (group['lr'], group['weight_decay'],
                               group['momentum'])
    # mmengine leaves frozen parameters out of the groups; PolyOptimizer
    # holds them but they never receive a gradient.
    assert all(
        id(p) in settings for p in model.parameters() if p.requires_grad)
    return model, {
        n: settings[id(p)]
        for n, p in model.named_parameters() if id(p) in settings
    }


@pytest.mark.parametrize('name,backbone_lr,classifier_lr,decay', [
    ('cam/cam_r50_voc.py', 0.1, 1.0, 1e-4),
    ('recam/cam_r50_voc_recam.py', 0.1, 1.0, 1e-4),
    ('cam/cam_r50_coco.py', 0.1, 1.0, 1e-4),
    ('cse/cse_r50_voc.py', 0.01, 0.01, 5e-4),
])
def test_param_groups_match_poly_optimizer(name, backbone_lr, classifier_lr,
                                           decay):
    """IRN's / ReCAM's train_cam: backbone at lr, the new classifier at
    10 x lr; OC-CSE: everything at lr (no from-scratch layers); weight decay
    on all; the momentum slot gets the weight decay (none here)."""
    model, settings = lr_and_decay_of_parameters(name)
    for n, (lr, wd, momentum) in settings.items():
        if n.startswith('ordinary_classifier'):
            continue
        expected = classifier_lr if n.startswith('cam_head') else backbone_lr
        assert (lr, wd, momentum) == pytest.approx((expected, decay, 0.0)), n


@pytest.mark.parametrize('name',
                         ['recam/recam_r50_voc.py', 'recam/recam_r50_coco.py'])
def test_param_groups_match_train_recam(name):
    """train_recam.py: backbone and first classifier at 0.1 * 5e-4, the ReCAM
    classifier at 5e-4, weight decay 1e-4."""
    _, settings = lr_and_decay_of_parameters(name)
    for n, (lr, wd, momentum) in settings.items():
        expected = 5e-4 if n.startswith('cam_head.recam_classifier') \
            else 5e-5
        assert (lr, wd, momentum) == pytest.approx((expected, 1e-4, 0.0)), n


class OfficialPolyOptimizer(torch.optim.SGD):
    """misc/torchutils.py PolyOptimizer (IRN, ReCAM; OC-CSE's
    tools/utils.py is the same), re-typed."""

    def __init__(self, params, lr, weight_decay, max_step, momentum=0.9):
        super().__init__(params, lr, weight_decay)
        self.global_step = 0
        self.max_step = max_step
        self.momentum = momentum
        self.__initial_lr = [group['lr'] for group in self.param_groups]

    def step(self, closure=None):
        if self.global_step < self.max_step:
            lr_mult = (1 - self.global_step / self.max_step)**self.momentum
            for i in range(len(self.param_groups)):
                self.param_groups[i]['lr'] = self.__initial_lr[i] * lr_mult
        super().step(closure)
        self.global_step += 1


@pytest.mark.parametrize('name', ['cam/cam_r50_voc.py', 'cse/cse_r50_voc.py'])
def test_poly_schedule_against_poly_optimizer(name):
    """PolyOptimizer: lr_t = lr * (1 - t / max_step) ** 0.9. mmengine's
    PolyLR over the same steps reaches 0 one step earlier:
    lr * (1 - t / (max_step - 1)) ** 0.9; they differ by at most
    lr * max_step ** -0.9, on the last step."""
    cfg = recipe(name)
    sched = cfg.param_scheduler[0]
    lr = cfg.optim_wrapper.optimizer.lr
    wd = cfg.optim_wrapper.optimizer.weight_decay
    epoch_length, epochs = 7, cfg.train_cfg.max_epochs
    max_step = epoch_length * epochs
    official = OfficialPolyOptimizer([nn.Parameter(torch.zeros(1))],
                                     lr=lr,
                                     weight_decay=wd,
                                     max_step=max_step)
    # The momentum slot holds the weight decay.
    assert official.param_groups[0]['momentum'] == wd
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = PolyLR.build_iter_from_epoch(optimizer,
                                             power=sched.power,
                                             eta_min=sched.eta_min,
                                             begin=sched.begin,
                                             end=sched.end,
                                             epoch_length=epoch_length)
    assert sched.end == epochs and sched.power == 0.9
    for step in range(max_step):
        # PolyOptimizer sets the lr inside step(), before the update.
        official.step()
        ours = optimizer.param_groups[0]['lr']
        theirs = official.param_groups[0]['lr']
        assert theirs == pytest.approx(lr * (1 - step / max_step)**0.9)
        assert ours == pytest.approx(lr * (1 - step / (max_step - 1))**0.9,
                                     abs=1e-12)
        assert abs(ours - theirs) <= lr * max_step**-0.9 + 1e-12
        optimizer.step()
        scheduler.step()


# ---------------------------------------------------------------- OC-CSE


def tiny_cse(mask_norm='batch'):
    """cse_r50_voc.py with both networks shrunk to a narrow ResNet-18."""
    cfg = recipe('cse/cse_r50_voc.py').model
    narrow = dict(depth=18, base_channels=8, stem_channels=8, init_cfg=None)
    cfg.backbone.update(narrow)
    cfg.ordinary_classifier.backbone.update(narrow)
    cfg.cam_head.update(in_channels=64, num_classes=4)
    cfg.ordinary_classifier.cam_head.update(in_channels=64, num_classes=4)
    cfg.ordinary_checkpoint = None
    cfg.mask_norm = mask_norm
    torch.manual_seed(1)
    model = MODELS.build(cfg)
    # Non-trivial BN statistics: both networks normalise with them.
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    # Positive CAMs (the backbone's features are ReLU'd), so that masks
    # erase something, and logits that react to the erasing (those of a
    # random narrow network barely do).
    with torch.no_grad():
        model.cam_head.classifier.weight.abs_()
        model.ordinary_classifier.cam_head.classifier.weight.mul_(100)
    return model.train()


def official_cse_update(net_er,
                        net_cl,
                        img,
                        label,
                        label_mask,
                        epo,
                        cc_init=0.3,
                        cc_slope=0.05):
    """model_cse.py model_WSSS.update, re-typed (without the optimiser)."""
    bce = nn.BCEWithLogitsLoss()
    label_remain = label.clone()
    label_remain[label_mask == 1] = 0
    weight = cc_init + cc_slope * epo
    cam_er, out_er = net_er(img)
    mask = cam_er[label_mask == 1, :, :].unsqueeze(1)
    mask = F.interpolate(mask,
                         img.size()[2:],
                         mode='bilinear',
                         align_corners=False)
    mask = F.relu(mask)
    mask = mask / (mask.max() + 1e-5)
    img_masked = img * (1 - mask)
    cam_cl, out_cl = net_cl(img_masked)
    loss_all = bce(out_er, label)
    loss_select = weight * bce(out_cl, label_remain)
    return loss_all, loss_select, img_masked


def net_of(classifier):
    """A CAM classifier as OC-CSE's nets: ``(cam, out)``."""

    def net(x):
        feats = classifier.extract_feat(x)
        return classifier.cam_head.forward_cam(feats), classifier.cam_head(
            feats)

    return net


def test_cse_loss_equals_official_update():
    model = tiny_cse()
    labels = torch.tensor([[1., 0, 1, 1], [0, 1, 0, 0], [1, 1, 0, 0]])
    samples = [sample_with_labels(row, (48, 40)) for row in labels.tolist()]
    img = torch.randn(3, 3, 48, 40)
    hub = MessageHub.get_current_instance()
    hub.update_info('epoch', 3)
    try:
        torch.manual_seed(7)
        losses = model.loss(img, samples)
        # The same draw of the erased class (nothing before it is random).
        torch.manual_seed(7)
        cams = model.cam_head.forward_cam(model.extract_feat(img))
        masks, remaining = model.erasing_targets(cams, labels)
        erased, _ = model.erase(img, masks)
        label_mask = labels - remaining
        assert label_mask.sum(dim=1).tolist() == [1.0, 1.0, 1.0]
        assert masks.amin() > 0
        loss_all, loss_select, img_masked = official_cse_update(
            net_of(model),
            net_of(model.ordinary_classifier),
            img,
            labels,
            label_mask,
            epo=3)
    finally:
        hub.update_info('epoch', 0)
    torch.testing.assert_close(erased, img_masked)
    torch.testing.assert_close(losses['loss_cls'], loss_all)
    torch.testing.assert_close(losses['loss_erase'], loss_select)
    # Same gradients into the CAM network.
    ours = torch.autograd.grad(sum(losses.values()), [
        model.cam_head.classifier.weight, model.backbone.layer4[0].conv1.weight
    ])
    theirs = torch.autograd.grad(loss_all + loss_select, [
        model.cam_head.classifier.weight, model.backbone.layer4[0].conv1.weight
    ])
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


def test_cse_batch_and_image_mask_normalisation():
    inputs = torch.randn(2, 3, 8, 8)
    masks = torch.tensor([[[-1.0, 2.0], [0.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]])
    _, batch = tiny_cse('batch').erase(inputs, masks)
    _, image = tiny_cse('image').erase(inputs, masks)
    assert batch.max().item() == pytest.approx(1.0, abs=1e-4)
    # The second image's flat mask: 1/4 of the batch peak, or its own peak.
    assert batch[1].max().item() == pytest.approx(0.25, abs=1e-4)
    assert image[1].max().item() == pytest.approx(1.0, abs=1e-4)
    torch.testing.assert_close(batch[0], image[0])


def test_cse_erased_class_is_uniform_among_present_as_split_label():
    """split_label draws torch.randint(0, len(present)): uniform."""
    model = tiny_cse()
    labels = torch.tensor([[1., 0, 1, 1]])
    cams = torch.randn(1, 4, 3, 3)
    torch.manual_seed(0)
    counts = torch.zeros(4)
    for _ in range(3000):
        _, remaining = model.erasing_targets(cams, labels)
        counts += labels[0] - remaining[0]
    assert counts[1] == 0
    freq = counts[[0, 2, 3]] / 3000
    assert (freq - 1 / 3).abs().max() < 0.03


def test_cse_loss_weight_schedule_is_official():
    model = tiny_cse()
    hub = MessageHub.get_current_instance()
    hook = RuntimeInfoHook()
    try:
        for epo in range(15):
            # The runner's epoch is 0-based, as train.py's ``epo``.
            hook.before_train_epoch(SimpleNamespace(message_hub=hub,
                                                    epoch=epo))
            official = 0.3 + 0.05 * epo
            assert model.erase_loss_weight() == pytest.approx(official)
        assert model.erase_loss_weight() == pytest.approx(1.0)
        # No clamp, as the official formula.
        assert model.erase_loss_weight(20) == pytest.approx(0.3 + 0.05 * 20)
    finally:
        hub.update_info('epoch', 0)


def test_color_jitter_is_torchvisions():
    """mmpretrain.ColorJitter (mmcv's pillow operations on BGR) against
    torchvision's ColorJitter(0.3, 0.3, 0.3, 0.1) of tools/utils.py."""
    cfg = recipe('cse/cse_r50_voc.py').train_dataloader.dataset.pipeline
    jitter_cfg = [t for t in cfg if t.type == 'mmpretrain.ColorJitter'][0]
    ours = TRANSFORMS.build(jitter_cfg)
    theirs = torchvision.transforms.ColorJitter(brightness=0.3,
                                                contrast=0.3,
                                                saturation=0.3,
                                                hue=0.1)
    assert ours.brightness == tuple(theirs.brightness)
    assert ours.contrast == tuple(theirs.contrast)
    assert ours.saturation == tuple(theirs.saturation)
    assert ours.hue == tuple(theirs.hue)
    rng = np.random.RandomState(0)
    rgb = rng.randint(0, 256, (12, 10, 3)).astype(np.uint8)
    pil, bgr = Image.fromarray(rgb), np.ascontiguousarray(rgb[..., ::-1])
    for ours_fn, theirs_fn, factor in ((mmcv.adjust_brightness,
                                        TF.adjust_brightness,
                                        1.27), (mmcv.adjust_contrast,
                                                TF.adjust_contrast, 0.74),
                                       (mmcv.adjust_color,
                                        TF.adjust_saturation, 1.21),
                                       (mmcv.adjust_hue, TF.adjust_hue, -0.08),
                                       (mmcv.adjust_hue, TF.adjust_hue, 0.06)):
        out = ours_fn(bgr, factor, backend='pillow')
        expected = np.asarray(theirs_fn(pil, factor))
        np.testing.assert_array_equal(out[..., ::-1], expected)


# ---------------------------------------------------------------- ADL


class OfficialADL(nn.Module):
    """wsolevaluation wsol/method/adl.py, re-typed."""

    def __init__(self, adl_drop_rate=0.75, adl_drop_threshold=0.8):
        super(OfficialADL, self).__init__()
        self.adl_drop_rate = adl_drop_rate
        self.adl_drop_threshold = adl_drop_threshold

    def forward(self, input_):
        if not self.training:
            return input_
        else:
            attention = torch.mean(input_, dim=1, keepdim=True)
            importance_map = torch.sigmoid(attention)
            drop_mask = self._drop_mask(attention)
            selected_map = self._select_map(importance_map, drop_mask)
            return input_.mul(selected_map)

    def _select_map(self, importance_map, drop_mask):
        random_tensor = torch.rand([], dtype=torch.float32) + \
            self.adl_drop_rate
        binary_tensor = random_tensor.floor()
        return (1. - binary_tensor) * importance_map + \
            binary_tensor * drop_mask

    def _drop_mask(self, attention):
        b_size = attention.size(0)
        max_val, _ = torch.max(attention.view(b_size, -1), dim=1, keepdim=True)
        thr_val = max_val * self.adl_drop_threshold
        thr_val = thr_val.view(b_size, 1, 1, 1)
        return (attention < thr_val).float()


def test_adl_maps_equal_wsolevaluation():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 4, 6)
    ours, theirs = ADL(0.75, 0.9), OfficialADL(0.75, 0.9)
    attention = ours.attention(x)
    official_attention = torch.mean(x, dim=1, keepdim=True)
    torch.testing.assert_close(attention, official_attention)
    torch.testing.assert_close(ours.drop_mask(attention),
                               theirs._drop_mask(official_attention))
    torch.testing.assert_close(ours.importance_map(attention),
                               torch.sigmoid(official_attention))
    # Drop rate 1 always drops, 0 always reweights, in both.
    for rate in (0.0, 1.0):
        ours.drop_rate = theirs.adl_drop_rate = rate
        for _ in range(3):
            torch.testing.assert_close(ours.train()(x), theirs.train()(x))
    assert ours.eval()(x) is x and theirs.eval()(x) is x
    # Drop rate 0.75: the drop mask on the same share of forwards.
    ours.train().drop_rate = theirs.train().adl_drop_rate = 0.75
    x = x[:1, :, :2, :2]
    drop = x * theirs._drop_mask(torch.mean(x, dim=1, keepdim=True))
    torch.manual_seed(1)
    ours_share = np.mean([torch.equal(ours(x), drop) for _ in range(1000)])
    theirs_share = np.mean([torch.equal(theirs(x), drop) for _ in range(1000)])
    assert abs(ours_share - 0.75) < 0.05 and abs(theirs_share - 0.75) < 0.05


def test_adl_resnet_inserts_adl_where_wsolevaluation_does():
    """ResNetAdl._make_layer with _ADL_POSITION = [[], [], [], [0], [0, 2]]:
    the same blocks with ADL modules inserted into each stage's
    nn.Sequential give the same output (drop rate 1: deterministic)."""
    cfg = recipe('adl/adl_r50_voc.py').model.backbone
    cfg.update(base_channels=8,
               stem_channels=8,
               init_cfg=None,
               adl_drop_rate=1.0)
    backbone = MODELS.build(cfg)
    assert isinstance(backbone, ADLResNet)
    assert sorted(backbone.adl_layers) == ['2_0', '3_0', '3_2']
    adl_position = [[], [], [], [0], [0, 2]]
    stages = []
    for i, name in enumerate(backbone.res_layers):
        layers = list(getattr(backbone, name))
        for pos in reversed(adl_position[i + 1]):
            layers.insert(pos + 1, OfficialADL(1.0, 0.9))
        stages.append(nn.Sequential(*layers))
    backbone.train()
    for stage in stages:
        for m in stage.modules():
            if isinstance(m, OfficialADL):
                m.train()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y = backbone.maxpool(backbone.relu(backbone.norm1(backbone.conv1(x))))
        for stage in stages:
            y = stage(y)
        torch.testing.assert_close(backbone(x)[0], y)


# ---------------------------------------------------------------- HaS


def official_hide_patch(img, grid_size, decisions):
    """Hide-and-Seek hide_patch.py's loops, re-typed, with the per-patch
    random draws replaced by ``decisions`` (True: hide) in loop order; 0
    (the mean after normalisation) replaced by the fill value."""
    s = img.shape
    wd = s[0]
    ht = s[1]
    draws = iter(decisions)
    for x in range(0, wd, grid_size):
        for y in range(0, ht, grid_size):
            x_end = min(wd, x + grid_size)
            y_end = min(ht, y + grid_size)
            if next(draws):
                img[x:x_end, y:y_end, :] = 7
    return img


def test_hide_and_seek_patches_equal_official_loops():
    img = np.zeros((23, 30, 3), np.uint8)
    has = TRANSFORMS.build(
        dict(type='HideAndSeek',
             grid_sizes=(8, ),
             hide_prob=0.5,
             fill=(7, 7, 7)))
    np.random.seed(3)
    random.seed(3)
    for _ in range(5):
        out = has(dict(img=img.copy()))['img']
        # The decision of each patch, read off our output at its corner.
        decisions = [
            out[x, y, 0] == 7 for x in range(0, 23, 8)
            for y in range(0, 30, 8)
        ]
        assert 0 < sum(decisions) < len(decisions)
        np.testing.assert_array_equal(
            out, official_hide_patch(img.copy(), 8, decisions))
