"""SEAM (Wang et al., CVPR 2020) against its official code
(github.com/YudeWang/SEAM: network/resnet38_SEAM.py, train_SEAM.py,
tool/visualization.py), re-typed below in its own style: the PCM, the CAM /
background scores it propagates, the ER, ECR and min-pooling losses, and a
whole training step with its gradients; then both configs, and a tiny
training run through mmengine with CAM files written from it."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmwsss.apis import load_config
from mmwsss.cams.generate import generate_cams
from mmwsss.datasets import build_split_dataset
from mmwsss.models.segmentors.seam_classifier import (
    adaptive_min_pooling_loss, equivariant_cross_regularization_loss,
    keep_foreground_max, max_norm, pcm_input_scores)
from conftest import REPO_ROOT, TINY_CLASSES, tiny_cfg_options
from test_models import sample_with_labels

DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'seam_r18_demo.py')
VOC_CONFIG = osp.join(REPO_ROOT, 'configs', 'seam', 'seam_r50_voc.py')


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread is faster on a loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ------------------------------------------------- the official code, re-typed


def official_max_norm(p, e=1e-5):
    # tool/visualization.py max_norm, version 'torch', p.dim() == 4
    N, C, H, W = p.size()
    p = F.relu(p)
    max_v = torch.max(p.view(N, C, -1), dim=-1)[0].view(N, C, 1, 1)
    min_v = torch.min(p.view(N, C, -1), dim=-1)[0].view(N, C, 1, 1)
    p = F.relu(p - min_v - e) / (max_v - min_v + e)
    return p


def official_adaptive_min_pooling_loss(x):
    # train_SEAM.py
    n, c, h, w = x.size()
    k = h * w // 4
    x = torch.max(x, dim=1)[0]
    y = torch.topk(x.view(n, -1), k=k, dim=-1, largest=False)[0]
    y = F.relu(y, inplace=False)
    loss = torch.sum(y) / (k * n)
    return loss


def official_max_onehot(x):
    # train_SEAM.py (writes into x)
    n, c, h, w = x.size()
    x_max = torch.max(x[:, 1:, :, :], dim=1, keepdim=True)[0]
    x[:, 1:, :, :][x[:, 1:, :, :] != x_max] = 0
    return x


def official_cam_d_norm(cam):
    # network/resnet38_SEAM.py Net.forward, cam with its background row
    n, c, h, w = cam.size()
    with torch.no_grad():
        cam_d = F.relu(cam.detach())
        cam_d_max = torch.max(cam_d.view(n, c, -1),
                              dim=-1)[0].view(n, c, 1, 1) + 1e-5
        cam_d_norm = F.relu(cam_d - 1e-5) / cam_d_max
        cam_d_norm[:, 0, :, :] = 1 - torch.max(cam_d_norm[:, 1:, :, :],
                                               dim=1)[0]
        cam_max = torch.max(cam_d_norm[:, 1:, :, :], dim=1, keepdim=True)[0]
        cam_d_norm[:, 1:, :, :][cam_d_norm[:, 1:, :, :] < cam_max] = 0
    return cam_d_norm


def official_pcm(f9, cam, f):
    # network/resnet38_SEAM.py Net.PCM
    n, c, h, w = f.size()
    cam = F.interpolate(
        cam, (h, w), mode='bilinear', align_corners=True).view(n, -1, h * w)
    f = f9(f)
    f = f.view(n, -1, h * w)
    f = f / (torch.norm(f, dim=1, keepdim=True) + 1e-5)

    aff = F.relu(torch.matmul(f.transpose(1, 2), f), inplace=True)
    aff = aff / (torch.sum(aff, dim=1, keepdim=True) + 1e-5)
    cam_rv = torch.matmul(cam, aff).view(n, -1, h, w)

    return cam_rv


class OfficialNet(nn.Module):
    """network/resnet38_SEAM.py Net.forward on a SEAMClassifier's weights:
    conv4, conv5, conv6 are its backbone's three outputs (one stride, as in
    ResNet-38), fc8 its classifier under an extra background row."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.fc8_bg = nn.Parameter(
            torch.randn(1, *model.cam_head.classifier.weight.shape[1:]))
        self.dropout7 = model.dropout

    def fc8(self, x):
        return F.conv2d(
            x,
            torch.cat([self.fc8_bg, self.model.cam_head.classifier.weight]))

    def forward(self, x):
        N, C, H, W = x.size()
        conv4, conv5, conv6 = self.model.backbone(x)
        d = dict(conv4=conv4, conv5=conv5, conv6=conv6)
        cam = self.fc8(self.dropout7(d['conv6']))
        n, c, h, w = cam.size()
        cam_d_norm = official_cam_d_norm(cam)

        pcm = self.model.pcm
        f8_3 = F.relu(pcm.projections[0](d['conv4'].detach()), inplace=True)
        f8_4 = F.relu(pcm.projections[1](d['conv5'].detach()), inplace=True)
        x_s = F.interpolate(x, (h, w), mode='bilinear', align_corners=True)
        f = torch.cat([x_s, f8_3, f8_4], dim=1)
        n, c, h, w = f.size()

        cam_rv = F.interpolate(
            official_pcm(pcm.embedding, cam_d_norm, f), (H, W),
            mode='bilinear',
            align_corners=True)
        cam = F.interpolate(cam, (H, W), mode='bilinear', align_corners=True)
        return cam, cam_rv


def official_loss_block(cam1, cam_rv1, cam2, cam_rv2, label, scale_factor):
    """train_SEAM.py from the two model outputs to the loss (21 -> C)."""
    N = label.shape[0]
    C = cam1.shape[1]
    bg_score = torch.ones((N, 1))
    label = torch.cat((bg_score, label), dim=1)
    label = label.unsqueeze(2).unsqueeze(3)

    label1 = F.adaptive_avg_pool2d(cam1, (1, 1))
    loss_rvmin1 = official_adaptive_min_pooling_loss(
        (cam_rv1 * label)[:, 1:, :, :])
    cam1 = F.interpolate(
        official_max_norm(cam1),
        scale_factor=scale_factor,
        mode='bilinear',
        align_corners=True) * label
    cam_rv1 = F.interpolate(
        official_max_norm(cam_rv1),
        scale_factor=scale_factor,
        mode='bilinear',
        align_corners=True) * label

    label2 = F.adaptive_avg_pool2d(cam2, (1, 1))
    loss_rvmin2 = official_adaptive_min_pooling_loss(
        (cam_rv2 * label)[:, 1:, :, :])
    cam2 = official_max_norm(cam2) * label
    cam_rv2 = official_max_norm(cam_rv2) * label

    loss_cls1 = F.multilabel_soft_margin_loss(label1[:, 1:, :, :],
                                              label[:, 1:, :, :])
    loss_cls2 = F.multilabel_soft_margin_loss(label2[:, 1:, :, :],
                                              label[:, 1:, :, :])

    ns, cs, hs, ws = cam2.size()
    loss_er = torch.mean(torch.abs(cam1[:, 1:, :, :] - cam2[:, 1:, :, :]))
    cam1[:, 0, :, :] = 1 - torch.max(cam1[:, 1:, :, :], dim=1)[0]
    cam2[:, 0, :, :] = 1 - torch.max(cam2[:, 1:, :, :], dim=1)[0]
    tensor_ecr1 = torch.abs(official_max_onehot(cam2.detach()) - cam_rv1)
    tensor_ecr2 = torch.abs(official_max_onehot(cam1.detach()) - cam_rv2)
    loss_ecr1 = torch.mean(
        torch.topk(tensor_ecr1.view(ns, -1), k=(int)(C * hs * ws * 0.2),
                   dim=-1)[0])
    loss_ecr2 = torch.mean(
        torch.topk(tensor_ecr2.view(ns, -1), k=(int)(C * hs * ws * 0.2),
                   dim=-1)[0])
    loss_ecr = loss_ecr1 + loss_ecr2

    loss_cls = (loss_cls1 + loss_cls2) / 2 + (loss_rvmin1 + loss_rvmin2) / 2
    loss = loss_cls + loss_er + loss_ecr
    return dict(
        loss=loss,
        loss_cls=(loss_cls1 + loss_cls2) / 2,
        loss_rvmin=(loss_rvmin1 + loss_rvmin2) / 2,
        loss_er=loss_er,
        loss_ecr=loss_ecr)


# ---------------------------------------------------------------- helpers


def tiny_options(max_epochs=1):
    options = tiny_cfg_options(max_epochs=max_epochs)
    options['model.pcm.in_channels'] = (16, 32)
    return options


def tiny_model(output_stride=16, dropout_ratio=0.5):
    """The demo SEAM model at the tiny widths. ``output_stride=8`` puts
    layer2..4 on one grid, as ResNet-38's conv4..conv6."""
    options = tiny_options()
    if output_stride == 8:
        options.update({
            'model.backbone.strides': (1, 2, 1, 1),
            'model.backbone.dilations': (1, 1, 2, 4),
        })
    options['model.dropout_ratio'] = dropout_ratio
    return MODELS.build(load_config(DEMO_CONFIG, options).model)


def labels_tensor():
    return torch.tensor([[1., 0, 1], [0, 1, 0]])


# ---------------------------------------------------------------- PCM


def test_pcm_matches_official():
    torch.manual_seed(0)
    pcm = MODELS.build(
        dict(
            type='PixelCorrelationModule',
            in_channels=(6, 10),
            in_index=(0, 1),
            feat_channels=(4, 5),
            embed_channels=7))
    conv4 = torch.randn(2, 6, 5, 6).relu()
    conv5 = torch.randn(2, 10, 5, 6).relu()
    image = torch.randn(2, 3, 40, 48)
    scores = torch.rand(2, 4, 5, 6)
    refined = pcm(scores, (conv4, conv5, torch.zeros(1)), image)

    f8_3 = F.relu(pcm.projections[0](conv4.detach()))
    f8_4 = F.relu(pcm.projections[1](conv5.detach()))
    x_s = F.interpolate(image, (5, 6), mode='bilinear', align_corners=True)
    f = torch.cat([x_s, f8_3, f8_4], dim=1)
    expected = official_pcm(pcm.embedding, scores, f)
    torch.testing.assert_close(refined, expected)
    # Gradients of the module's three convolutions.
    weights = torch.randn_like(refined)
    mine = torch.autograd.grad((refined * weights).sum(),
                               list(pcm.parameters()))
    theirs = torch.autograd.grad((expected * weights).sum(),
                                 list(pcm.parameters()))
    for a, b in zip(mine, theirs):
        assert a.abs().sum() > 0
        torch.testing.assert_close(a, b)
    # Each refined score is a convex combination of the input scores of its
    # channel (up to the 1e-5 of the normalisation).
    assert (refined <= scores.flatten(2).max(-1).values[..., None, None] +
            1e-5).all()


def test_pcm_features_detached_and_resized_to_the_score_grid():
    torch.manual_seed(0)
    pcm = MODELS.build(
        dict(
            type='PixelCorrelationModule',
            in_channels=(3, 4),
            feat_channels=(2, 2),
            embed_channels=5))
    # layer2 at stride 8 against a stride-16 grid.
    layer2 = torch.randn(1, 3, 8, 10, requires_grad=True)
    layer3 = torch.randn(1, 4, 4, 5, requires_grad=True)
    image = torch.randn(1, 3, 64, 80)
    features = pcm.affinity_features((layer2, layer3), image, (4, 5))
    resized = F.interpolate(
        layer2, (4, 5), mode='bilinear', align_corners=True)
    expected = torch.cat([
        F.interpolate(image, (4, 5), mode='bilinear', align_corners=True),
        F.relu(pcm.projections[0](resized)),
        F.relu(pcm.projections[1](layer3))
    ], 1)
    torch.testing.assert_close(features, expected)
    features.sum().backward()
    assert layer2.grad is None and layer3.grad is None
    with pytest.raises(ValueError, match='one entry per feature'):
        MODELS.build(
            dict(type='PixelCorrelationModule', in_channels=(3, ),
                 in_index=(0, 1)))


# ------------------------------------------------- CAM scores and losses


def test_pcm_input_scores_match_official():
    torch.manual_seed(0)
    cams = torch.randn(2, 4, 5, 6) * 3
    # A tie of two classes at their common maximum and a position where
    # no class is positive.
    cams[0, 1, 0, 0] = cams[0, 2, 0, 0] = 50.0
    cams[1, :, 2, 3] = -1.0
    background_row = torch.randn(2, 1, 5, 6)
    expected = official_cam_d_norm(torch.cat([background_row, cams], 1))
    scores = pcm_input_scores(cams)
    torch.testing.assert_close(scores, expected)
    assert scores[0, 2, 0, 0] > 0 and scores[0, 3, 0, 0] > 0
    assert scores[1, 0, 2, 3] == 1 and scores[1, 1:, 2, 3].sum() == 0
    assert not pcm_input_scores(cams.requires_grad_()).requires_grad


def test_max_norm_and_keep_foreground_max_match_official():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 3, 5, requires_grad=True)
    torch.testing.assert_close(max_norm(x), official_max_norm(x))
    weights = torch.randn(2, 4, 3, 5)
    mine = torch.autograd.grad((max_norm(x) * weights).sum(), x)[0]
    theirs = torch.autograd.grad((official_max_norm(x) * weights).sum(), x)[0]
    torch.testing.assert_close(mine, theirs)
    scores = torch.rand(2, 4, 3, 5)
    scores[0, 2, 1, 1] = scores[0, 3, 1, 1] = 2.0
    original = scores.clone()
    expected = official_max_onehot(scores.clone())
    torch.testing.assert_close(keep_foreground_max(scores), expected)
    torch.testing.assert_close(scores, original)


def test_min_pooling_and_ecr_losses_match_official():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 6, 7, requires_grad=True)
    mine = adaptive_min_pooling_loss(x)
    theirs = official_adaptive_min_pooling_loss(x)
    torch.testing.assert_close(mine, theirs)
    torch.testing.assert_close(
        torch.autograd.grad(mine, x)[0], torch.autograd.grad(theirs, x)[0])
    target = torch.rand(2, 4, 6, 7)
    refined = torch.rand(2, 4, 6, 7, requires_grad=True)
    mine = equivariant_cross_regularization_loss(target, refined, 0.2)
    ns, _, hs, ws = refined.shape
    error = torch.abs(official_max_onehot(target.clone()) - refined)
    theirs = torch.mean(
        torch.topk(error.view(ns, -1), k=(int)(4 * hs * ws * 0.2),
                   dim=-1)[0])
    torch.testing.assert_close(mine, theirs)
    torch.testing.assert_close(
        torch.autograd.grad(mine, refined)[0],
        torch.autograd.grad(theirs, refined)[0])


def test_seam_losses_match_official_block():
    """ER, ECR, min-pooling and classification losses from given branch
    outputs, values and gradients; the official background row of the
    CAMs gets no gradient."""
    torch.manual_seed(0)
    model = tiny_model()
    labels = labels_tensor()
    cams1 = torch.randn(2, 3, 20, 20, requires_grad=True)
    refined1 = torch.rand(2, 4, 20, 20, requires_grad=True)
    cams2 = torch.randn(2, 3, 6, 6, requires_grad=True)
    refined2 = torch.rand(2, 4, 6, 6, requires_grad=True)
    bg1 = torch.randn(2, 1, 20, 20, requires_grad=True)
    bg2 = torch.randn(2, 1, 6, 6, requires_grad=True)
    losses = model.seam_losses(cams1, refined1, cams2, refined2, labels)
    official = official_loss_block(
        torch.cat([bg1, cams1], 1), refined1, torch.cat([bg2, cams2], 1),
        refined2, labels, 0.3)
    for key in ('loss_cls', 'loss_rvmin', 'loss_er', 'loss_ecr'):
        torch.testing.assert_close(losses[key], official[key])
    inputs = [cams1, refined1, cams2, refined2]
    mine = torch.autograd.grad(sum(losses.values()), inputs)
    theirs = torch.autograd.grad(official['loss'], inputs + [bg1, bg2],
                                 allow_unused=True)
    for a, b in zip(mine, theirs):
        assert a.abs().sum() > 0
        torch.testing.assert_close(a, b)
    assert all(g is None or g.abs().sum() == 0 for g in theirs[4:])


# ------------------------------------------------- whole training step


@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_training_step_matches_official(mode):
    """A whole step (both branches, losses, gradients of every weight) on
    the tiny network against Net.forward and train_SEAM.py re-typed; in
    train mode the same dropout masks are drawn."""
    torch.manual_seed(0)
    model = tiny_model(output_stride=8)
    official = OfficialNet(model)
    labels = labels_tensor()
    samples = [sample_with_labels(row) for row in labels.tolist()]
    img1 = torch.randn(2, 3, 40, 40)
    if mode == 'eval':
        # Running statistics of this batch: with the initial ones every CAM
        # of the untrained network is negative and the PCM input trivial.
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.momentum = 1.0
        with torch.no_grad():
            model.extract_feat(img1)
    model.train(mode == 'train')
    with torch.no_grad():
        assert model.seam_forward(img1)[1][:, 1:].max() > 0

    torch.manual_seed(1)
    losses = model.loss(img1, samples)
    params = [p for p in model.parameters() if p.requires_grad]
    mine = torch.autograd.grad(
        sum(losses.values()), params, retain_graph=True)

    torch.manual_seed(1)
    cam1, cam_rv1 = official(img1)
    img2 = F.interpolate(
        img1, scale_factor=0.3, mode='bilinear', align_corners=True)
    cam2, cam_rv2 = official(img2)
    expected = official_loss_block(cam1, cam_rv1, cam2, cam_rv2, labels, 0.3)
    for key in ('loss_cls', 'loss_rvmin', 'loss_er', 'loss_ecr'):
        torch.testing.assert_close(losses[key], expected[key])
    theirs = torch.autograd.grad(
        expected['loss'], params + [official.fc8_bg], allow_unused=True)
    for (name, _), a, b in zip(
            filter(lambda item: item[1].requires_grad,
                   model.named_parameters()), mine, theirs):
        # Summation order differs (batched PCM, fused losses): a tolerance
        # relative to the largest entry.
        torch.testing.assert_close(
            a, b, rtol=1e-4, atol=1e-5 * b.abs().max().item(),
            msg=lambda m, name=name: f'{name}: {m}')
    # The official background row of fc8 never receives a gradient.
    assert theirs[-1] is None or theirs[-1].abs().sum() == 0
    # The PCM reaches the backbone through neither its features nor its
    # scores: its own losses train the PCM only.
    model.zero_grad()
    losses['loss_ecr'].backward(retain_graph=True)
    assert all(p.grad is None or p.grad.abs().sum() == 0
               for p in model.backbone.parameters())
    assert model.pcm.embedding.weight.grad.abs().sum() > 0


def test_forward_cam_is_refined_foreground():
    torch.manual_seed(0)
    model = tiny_model(output_stride=8).eval()
    official = OfficialNet(model)
    x = torch.randn(2, 3, 48, 40)
    with torch.no_grad():
        cams = model.forward_cam(x)
        _, cam_rv = official(x)
    assert cams.shape == (2, TINY_CLASSES, 6, 5)
    torch.testing.assert_close(
        F.interpolate(cams, (48, 40), mode='bilinear', align_corners=True),
        cam_rv[:, 1:])
    # Not the plain CAMs.
    with torch.no_grad():
        plain = model.cam_head.forward_cam(model.extract_feat(x))
    assert not torch.allclose(cams, plain)


# ---------------------------------------------------------------- configs


def test_voc_config_is_the_official_recipe():
    cfg = load_config(VOC_CONFIG)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SEAMClassifier'
    assert model.scale_factor == 0.3 and model.ecr_topk_ratio == 0.2
    assert model.dropout.p == 0.5
    assert model.backbone.out_indices == (1, 2, 3)
    assert cfg.model.backbone.init_cfg.checkpoint == 'torchvision://resnet50'
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.train_dataloader.drop_last
    assert cfg.train_cfg.max_epochs == 8
    assert cfg.model.test_cfg.scales == (1.0, 0.5, 1.5, 2.0)
    assert cfg.model.test_cfg.bg_threshold == 0.26
    crop = [t for t in cfg.train_dataloader.dataset.pipeline
            if t.type == 'RandomCrop'][0]
    assert crop.crop_size == (448, 448)
    resize = [t for t in cfg.train_dataloader.dataset.pipeline
              if t.type == 'RandomResize'][0]
    assert round(768 * resize.ratio_range[0]) == 448
    # The PCM's inputs are layer2 and layer3 of the ResNet-50, their
    # channel counts those of ResNet-38's conv4 and conv5.
    model.train()
    feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [512, 1024, 2048]
    assert model.pcm.in_channels == (512, 1024)
    samples = [sample_with_labels([1.0] + [0.0] * 19, (64, 64))]
    losses = model.loss(torch.randn(1, 3, 64, 64), samples)
    assert set(losses) == {'loss_cls', 'loss_rvmin', 'loss_er', 'loss_ecr'}
    # Frozen: stem, layer1 and every BN layer; trained: layer2..4 at lr,
    # fc8 and the PCM at 10x, weight decay 5e-4, no momentum.
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any(n.startswith(('backbone.conv1', 'backbone.bn1',
                                 'backbone.layer1')) for n in trained)
    assert not any('bn' in n or 'downsample.1' in n for n in trained)
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lrs = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            lrs[id(p)] = (group['lr'], group['weight_decay'],
                          group['momentum'])
    names = dict(model.named_parameters())
    assert lrs[id(names['backbone.layer2.0.conv1.weight'])] == (
        0.01, 5e-4, 0.0)
    assert lrs[id(names['cam_head.classifier.weight'])] == (0.1, 5e-4, 0.0)
    assert lrs[id(names['pcm.embedding.weight'])] == (0.1, 5e-4, 0.0)
    assert lrs[id(names['pcm.projections.1.weight'])] == (0.1, 5e-4, 0.0)
    # SEAM's AffinityNet settings.
    assert cfg.affinity_label_cfg == dict(low_alpha=4, high_alpha=24)
    assert cfg.random_walk_cfg == dict(alpha=6, beta=8, logt=6, radius=5)


def test_demo_config_builds():
    cfg = load_config(DEMO_CONFIG)
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SEAMClassifier'
    feats = model.extract_feat(torch.randn(1, 3, 64, 64))
    assert tuple(f.shape[1] for f in feats[:2]) == model.pcm.in_channels
    assert model.forward_cam(torch.randn(1, 3, 64, 64)).shape[1] == 5


# ---------------------------------------------------------------- training


def test_tiny_training_run_and_cam_files(tiny_data, tmp_path):
    cfg = load_config(
        DEMO_CONFIG,
        tiny_options(max_epochs=1),
        work_dir=str(tmp_path),
        data_root=tiny_data)
    runner = Runner.from_cfg(cfg)
    before = {
        k: v.clone()
        for k, v in runner.model.state_dict().items() if 'pcm' in k
    }
    model = runner.train()
    # The PCM learned (its losses reach it).
    assert any(not torch.equal(v, model.state_dict()[k])
               for k, v in before.items())
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100
    checkpoint = osp.join(str(tmp_path), 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    # CAM files from the refined maps, as make_cams writes them.
    model = MODELS.build(cfg.model)
    model.load_state_dict(
        torch.load(checkpoint, weights_only=True)['state_dict'])
    dataset = build_split_dataset(cfg, 'val', data_root=tiny_data)
    written = generate_cams(
        model,
        dataset,
        str(tmp_path / 'cams'),
        scales=(1.0, 0.5),
        num_workers=0,
        progress=False)
    assert written == 8
    cam = np.load(
        osp.join(str(tmp_path / 'cams'), 'val_00024.npy'),
        allow_pickle=True).item()
    assert cam['high_res'].shape[1:] == (128, 128)
    assert 0 <= cam['high_res'].min() and cam['high_res'].max() <= 1.0
