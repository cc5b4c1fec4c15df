import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmwsss.apis import load_config
from conftest import REPO_ROOT, TINY_CLASSES, tiny_cfg_options
from test_models import sample_with_labels


def demo_config(name):
    return osp.join(REPO_ROOT, 'configs', 'demo', name)


# ---------------------------------------------------------------- ACoL


class OfficialACoL(nn.Module):
    """ACoL's ``VGG`` of ``models/vgg/vgg_v1.py`` after ``self.features``,
    re-typed in the official style; only ``.cuda()`` and ``Variable`` are
    dropped and the classifier width is an argument (1024 there)."""

    def __init__(self, in_planes, num_classes, threshold=0.6, width=1024):
        super(OfficialACoL, self).__init__()
        self.width = width
        self.cls = self.classifier(in_planes, num_classes)
        self.cls_erase = self.classifier(in_planes, num_classes)
        self.threshold = threshold
        self.loss_cross_entropy = nn.CrossEntropyLoss()

    def classifier(self, in_planes, out_planes):
        return nn.Sequential(
            nn.Conv2d(in_planes, self.width, kernel_size=3, padding=1,
                      dilation=1),
            nn.ReLU(True),
            nn.Conv2d(self.width, self.width, kernel_size=3, padding=1,
                      dilation=1),
            nn.ReLU(True),
            nn.Conv2d(self.width, out_planes, kernel_size=1, padding=0))

    def forward(self, x, label=None):
        feat = F.avg_pool2d(x, kernel_size=3, stride=1, padding=1)

        # Branch A
        out = self.cls(feat)
        self.map1 = out
        logits_1 = torch.mean(torch.mean(out, dim=2), dim=2)

        localization_map_normed = self.get_atten_map(out, label, True)
        self.attention = localization_map_normed
        feat_erase = self.erase_feature_maps(localization_map_normed, feat,
                                             self.threshold)

        # Branch B
        out_erase = self.cls_erase(feat_erase)
        self.map_erase = out_erase
        logits_ers = torch.mean(torch.mean(out_erase, dim=2), dim=2)

        return [logits_1, logits_ers]

    def get_loss(self, logits, gt_labels):
        gt = gt_labels.long()
        loss_cls = self.loss_cross_entropy(logits[0], gt)
        loss_cls_ers = self.loss_cross_entropy(logits[1], gt)
        loss_val = loss_cls + loss_cls_ers
        return [loss_val, ]

    def get_localization_maps(self):
        map1 = self.normalize_atten_maps(self.map1)
        map_erase = self.normalize_atten_maps(self.map_erase)
        return torch.max(map1, map_erase)

    def erase_feature_maps(self, atten_map_normed, feature_maps, threshold):
        if len(atten_map_normed.size()) > 3:
            atten_map_normed = torch.squeeze(atten_map_normed)
        atten_shape = atten_map_normed.size()

        pos = torch.ge(atten_map_normed, threshold)
        mask = torch.ones(atten_shape)
        mask[pos.data] = 0.0
        mask = torch.unsqueeze(mask, dim=1)
        self.mask = mask
        erased_feature_maps = feature_maps * mask
        return erased_feature_maps

    def normalize_atten_maps(self, atten_maps):
        atten_shape = atten_maps.size()
        batch_mins, _ = torch.min(
            atten_maps.view(atten_shape[0:-2] + (-1, )), dim=-1, keepdim=True)
        batch_maxs, _ = torch.max(
            atten_maps.view(atten_shape[0:-2] + (-1, )), dim=-1, keepdim=True)
        atten_normed = torch.div(
            atten_maps.view(atten_shape[0:-2] + (-1, )) - batch_mins,
            batch_maxs - batch_mins)
        atten_normed = atten_normed.view(atten_shape)
        return atten_normed

    def get_atten_map(self, feature_maps, gt_labels, normalize=True):
        label = gt_labels.long()
        feature_map_size = feature_maps.size()
        batch_size = feature_map_size[0]
        atten_map = torch.zeros(
            [feature_map_size[0], feature_map_size[2], feature_map_size[3]])
        for batch_idx in range(batch_size):
            atten_map[batch_idx, :, :] = torch.squeeze(
                feature_maps[batch_idx, label.data[batch_idx], :, :])
        if normalize:
            atten_map = self.normalize_atten_maps(atten_map)
        return atten_map


def acol_pair(in_channels=6, num_classes=4, width=8, seed=0):
    """An initialised ``ACoLHead`` and the official module with its
    weights (``cls`` = classifier A, ``cls_erase`` = classifier B)."""
    torch.manual_seed(seed)
    head = MODELS.build(
        dict(
            type='ACoLHead',
            in_channels=in_channels,
            num_classes=num_classes,
            channels=width))
    head.init_weights()
    # Non-zero biases, so that the 1x1 convolution's bias is exercised.
    with torch.no_grad():
        for module in head.modules():
            if isinstance(module, nn.Conv2d):
                module.bias.normal_(0, 0.1)
    official = OfficialACoL(in_channels, num_classes, width=width)
    state = {
        key.replace('classifier_a', 'cls').replace(
            'classifier_b', 'cls_erase'): value
        for key, value in head.state_dict().items()
    }
    official.load_state_dict(state)
    return head, official


def test_acol_single_label_loss_and_logits_match_official():
    head, official = acol_pair()
    feats = torch.randn(3, 6, 5, 7)
    gt = torch.tensor([2, 0, 3])
    logits_1, logits_ers = official(feats, gt)
    # Some, not all, positions of every image are erased.
    assert 0 < official.mask.sum() < official.mask.numel()
    assert (official.mask.flatten(1).min(dim=1).values == 0).all()
    onehot = F.one_hot(gt, 4).float()
    samples = [sample_with_labels(row) for row in onehot.tolist()]
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_cls', 'loss_cls_erased'}
    # The official loss is softmax CE of the single label; ours is the
    # multi-label loss, on the same logits of both branches.
    torch.testing.assert_close(
        losses['loss_cls'], F.multilabel_soft_margin_loss(logits_1, onehot))
    torch.testing.assert_close(
        losses['loss_cls_erased'],
        F.multilabel_soft_margin_loss(logits_ers, onehot))
    torch.testing.assert_close(head(feats), logits_1)
    torch.testing.assert_close(
        head.erase_mask(head.classifier_a(F.avg_pool2d(feats, 3, 1, 1)),
                        onehot), official.mask)


def test_acol_cam_matches_official_for_each_class():
    head, official = acol_pair(seed=1)
    feats = torch.randn(2, 6, 6, 5)
    cams = head.forward_cam(feats)
    assert cams.shape == (2, 4, 6, 5)
    for k in range(4):
        official(feats, torch.full((2, ), k))
        expected = official.get_localization_maps()[:, k]
        torch.testing.assert_close(cams[:, k], expected)
    # The fusion is an element-wise max of two [0, 1] maps; erasing
    # changes B's map, so it differs from a pass of B on unerased features.
    assert cams.min() >= 0 and cams.max() <= 1
    feats_smooth = F.avg_pool2d(feats, 3, 1, 1)
    unerased = official.normalize_atten_maps(
        torch.max(head.classifier_a(feats_smooth),
                  head.classifier_b(feats_smooth)))
    assert not torch.allclose(cams, unerased)


def test_acol_multilabel_erases_union_of_labelled_classes():
    head, official = acol_pair(seed=2)
    feats = torch.randn(3, 6, 5, 7)
    labels = torch.tensor([[1., 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 1]])
    # The official mask of each labelled class, combined: a position is
    # erased when any labelled class erases it.
    mask = torch.ones(3, 1, 5, 7)
    erased_by_class = []
    for k in range(4):
        official(feats, torch.full((3, ), k))
        erased_by_class.append((official.mask == 0).sum(dim=(1, 2, 3)))
        present = labels[:, k].view(3, 1, 1, 1) > 0
        mask = torch.where(present, mask * official.mask, mask)
    assert (mask[1] == 1).all()  # no label, nothing erased
    # Image 2's union is larger than the region of any one of its classes.
    assert all((mask[2] == 0).sum() > erased_by_class[k][2]
               for k in (1, 2, 3))
    feat = F.avg_pool2d(feats, kernel_size=3, stride=1, padding=1)
    logits_ers = official.cls_erase(feat * mask).mean(dim=(2, 3))
    samples = [sample_with_labels(row) for row in labels.tolist()]
    losses = head.loss(feats, samples)
    torch.testing.assert_close(
        losses['loss_cls_erased'],
        F.multilabel_soft_margin_loss(logits_ers, labels))
    torch.testing.assert_close(
        losses['loss_cls'],
        F.multilabel_soft_margin_loss(official.cls(feat).mean(dim=(2, 3)),
                                      labels))


def test_acol_erased_branch_sends_no_gradient_through_the_mask():
    head, _ = acol_pair(seed=3)
    feats = torch.randn(2, 6, 5, 5, requires_grad=True)
    samples = [sample_with_labels(row) for row in ([1, 0, 0, 1], [0, 1, 0, 0])]
    losses = head.loss(feats, samples)
    losses['loss_cls_erased'].backward()
    # As the official mask is built from `.data`, B's loss does not reach
    # classifier A; it does reach B and the features.
    assert all(p.grad is None or not p.grad.any()
               for p in head.classifier_a.parameters())
    assert all(p.grad.abs().sum() > 0 for p in head.classifier_b.parameters())
    assert feats.grad.abs().sum() > 0


def test_acol_initialisation_and_arguments():
    head = MODELS.build(
        dict(type='ACoLHead', in_channels=16, num_classes=3, channels=32))
    head.init_weights()
    convs = [m for m in head.modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(3, 3), (3, 3), (1, 1)] * 2
    for conv in convs:
        fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
        fan_out = conv.out_channels * conv.kernel_size[0] * \
            conv.kernel_size[1]
        bound = (6 / (fan_in + fan_out))**0.5
        assert conv.weight.abs().max() <= bound
        assert conv.weight.abs().max() > 0.5 * bound
        assert not conv.bias.any()
    with pytest.raises(ValueError, match='erase_threshold'):
        MODELS.build(
            dict(
                type='ACoLHead',
                in_channels=4,
                num_classes=2,
                erase_threshold=1.5))
    with pytest.raises(ValueError, match='num_classes=3'):
        head.loss(torch.randn(1, 16, 4, 4), [sample_with_labels([1, 0])])


# ---------------------------------------------------------------- MDC


def paper_dilated_block(x, weight, bias, d):
    """A 3x3 convolution of dilation ``d`` written out tap by tap:
    ``y(p) = b + sum_{i, j in {-1, 0, 1}} W[i, j] x(p + d * (i, j))``, with
    zeros outside the map, then ReLU."""
    n, _, h, w = x.shape
    padded = F.pad(x, (d, d, d, d))
    out = bias.view(1, -1, 1, 1).expand(n, -1, h, w).clone()
    for i in (-1, 0, 1):
        for j in (-1, 0, 1):
            window = padded[:, :, d + d * i:d + d * i + h,
                            d + d * j:d + d * j + w]
            out = out + torch.einsum('oc,nchw->nohw',
                                     weight[:, :, i + 1, j + 1], window)
    return out.relu()


def paper_localization_map(head, x):
    """Wei et al., Eq. 1: ``H = H_0 + 1/n_d * sum_{i=1}^{n_d} H_i``, where
    ``H_i`` is the CAM of block ``i`` (``sum_c w^k_c f_c(x, y)``), made
    non-negative and divided by its maximum."""
    maps = []
    for block, classifier, d in zip(head.blocks, head.classifiers,
                                    head.dilations):
        f = paper_dilated_block(x, block[0].weight, block[0].bias, d)
        w_k = classifier.weight[:, :, 0, 0]
        cam = torch.zeros(x.shape[0], w_k.shape[0], x.shape[2], x.shape[3])
        for k in range(w_k.shape[0]):
            for c in range(w_k.shape[1]):
                cam[:, k] += w_k[k, c] * f[:, c]
        cam = cam.relu()
        cam = cam / (cam.amax(dim=(2, 3), keepdim=True) + 1e-5)
        maps.append(cam)
    n_d = len(maps) - 1
    return maps[0] + sum(maps[1:]) / n_d


def mdc_head(**kwargs):
    torch.manual_seed(0)
    cfg = dict(type='MDCHead', in_channels=5, num_classes=3, channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_mdc_localization_map_is_the_paper_equation():
    head = mdc_head()
    x = torch.randn(2, 5, 11, 12)
    cams = head.forward_cam(x)
    assert cams.shape == (2, 3, 11, 12)
    torch.testing.assert_close(cams, paper_localization_map(head, x))
    # H_0 weighs as much as the three enlarged blocks together.
    assert cams.max() <= 2 and cams.min() >= 0
    other = mdc_head(dilations=(1, 2))
    torch.testing.assert_close(
        other.forward_cam(x), paper_localization_map(other, x))


def test_mdc_loss_is_the_sum_of_the_blocks_multilabel_losses():
    head = mdc_head()
    x = torch.randn(3, 5, 9, 9, requires_grad=True)
    labels = torch.tensor([[1., 0, 1], [0, 1, 0], [0, 0, 0]])
    samples = [sample_with_labels(row) for row in labels.tolist()]
    losses = head.loss(x, samples)
    assert list(losses) == [
        'loss_cls_d1', 'loss_cls_d3', 'loss_cls_d6', 'loss_cls_d9'
    ]
    logits = []
    for block, classifier, d, key in zip(head.blocks, head.classifiers,
                                         head.dilations, losses):
        f = paper_dilated_block(x, block[0].weight, block[0].bias, d)
        gap = f.mean(dim=(2, 3))
        logits.append(gap @ classifier.weight[:, :, 0, 0].t())
        torch.testing.assert_close(
            losses[key], F.multilabel_soft_margin_loss(logits[-1], labels))
    # The classifier output is Eq. 1 on the logits: the GAP of the fused
    # raw CAMs.
    torch.testing.assert_close(head(x), logits[0] + sum(logits[1:]) / 3)
    sum(losses.values()).backward()
    for block in head.blocks:
        assert block[0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='all different'):
        mdc_head(dilations=(1, ))
    with pytest.raises(ValueError, match='all different'):
        mdc_head(dilations=(1, 3, 3))


def test_mdc_blocks_reach_their_dilation():
    head = mdc_head(in_channels=1, channels=1)
    x = torch.zeros(1, 1, 21, 21)
    x[0, 0, 10, 10] = 1.0
    for block, d in zip(head.blocks, head.dilations):
        with torch.no_grad():
            response = block[0](x) - block[0].bias.view(1, -1, 1, 1)
        reached = torch.nonzero(response[0, 0].abs() > 0).tolist()
        expected = [[10 + d * i, 10 + d * j] for i in (-1, 0, 1)
                    for j in (-1, 0, 1)]
        assert sorted(reached) == sorted(expected)


# ---------------------------------------------------------------- configs


@pytest.mark.parametrize('name, head_type', [('acol_r18_demo.py', 'ACoLHead'),
                                             ('mdc_r18_demo.py', 'MDCHead')])
def test_heads_build_from_demo_configs(name, head_type):
    cfg = load_config(demo_config(name), tiny_cfg_options())
    model = MODELS.build(cfg.model).eval()
    assert type(model.cam_head).__name__ == head_type
    assert model.num_classes == TINY_CLASSES
    x = torch.randn(2, 3, 64, 48)
    with torch.no_grad():
        cams = model.forward_cam(x)
        logits = model._forward(x)
    assert cams.shape == (2, TINY_CLASSES, 4, 3)
    assert logits.shape == (2, TINY_CLASSES)
    full = load_config(demo_config(name))
    assert full.model.cam_head.in_channels == 256
    assert full.model.cam_head.num_classes == 5


@pytest.mark.parametrize('name',
                         ['acol/acol_r50_voc.py', 'mdc/mdc_r50_voc.py'])
def test_voc_configs_keep_the_cam_recipe(name):
    cfg = load_config(osp.join(REPO_ROOT, 'configs', name))
    base = load_config(osp.join(REPO_ROOT, 'configs', 'cam', 'cam_r50_voc.py'))
    assert cfg.model.backbone == base.model.backbone
    assert cfg.optim_wrapper == base.optim_wrapper
    assert cfg.model.cam_head.in_channels == 2048
    assert cfg.model.cam_head.num_classes == 20


@pytest.mark.parametrize('name', ['acol_r18_demo.py', 'mdc_r18_demo.py'])
def test_tiny_training_run(name, tiny_data, tmp_path):
    options = tiny_cfg_options(max_epochs=1)
    # Narrow the head with the backbone, or it dominates the tiny run.
    options['model.cam_head.channels'] = 16
    cfg = load_config(
        demo_config(name), options, work_dir=str(tmp_path),
        data_root=tiny_data)
    runner = Runner.from_cfg(cfg)
    model = runner.train()
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
    logged = runner.message_hub.log_scalars
    if name.startswith('acol'):
        assert {'train/loss_cls', 'train/loss_cls_erased'} <= set(logged)
        assert type(model.cam_head).__name__ == 'ACoLHead'
    else:
        assert {f'train/loss_cls_d{d}' for d in (1, 3, 6, 9)} <= set(logged)
        assert type(model.cam_head).__name__ == 'MDCHead'
