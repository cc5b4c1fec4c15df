import glob
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmwsss.apis import load_config
from conftest import REPO_ROOT, TINY_CLASSES, tiny_cfg_options


def sample_with_labels(labels, shape=(32, 32)):
    sample = SegDataSample(metainfo=dict(img_shape=shape, ori_shape=shape))
    sample.gt_img_labels = torch.tensor(labels, dtype=torch.float32)
    return sample


def test_cam_head_loss_is_multilabel_soft_margin():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='CAMHead', in_channels=6, num_classes=4))
    feats = torch.randn(3, 6, 5, 7, requires_grad=True)
    labels = [[1, 0, 0, 1], [0, 1, 0, 0], [1, 1, 1, 0]]
    samples = [sample_with_labels(row) for row in labels]
    loss = head.loss((feats, ), samples)['loss_cls']
    logits = head((feats, ))
    expected = F.multilabel_soft_margin_loss(logits, torch.tensor(labels))
    torch.testing.assert_close(loss, expected)
    # d(loss)/d(logit) = (sigmoid(z) - y) / (N * K)
    logits_leaf = logits.detach().requires_grad_()
    head.loss_cls(logits_leaf, torch.tensor(labels).float()).backward()
    torch.testing.assert_close(
        logits_leaf.grad,
        (logits.detach().sigmoid() - torch.tensor(labels)) / 12)
    loss.backward()
    assert head.classifier.weight.grad.abs().sum() > 0
    assert feats.grad.abs().sum() > 0
    assert head.classifier.bias is None


def test_cam_average_equals_logit():
    head = MODELS.build(dict(type='CAMHead', in_channels=6, num_classes=4))
    feats = torch.randn(2, 6, 5, 7)
    cams = head.forward_cam(feats)
    assert cams.shape == (2, 4, 5, 7)
    torch.testing.assert_close(cams.mean(dim=(2, 3)), head(feats))


def test_cam_head_rejects_wrong_label_width():
    head = MODELS.build(dict(type='CAMHead', in_channels=6, num_classes=4))
    with pytest.raises(ValueError, match='num_classes=4'):
        head.loss(torch.randn(1, 6, 3, 3), [sample_with_labels([1, 0])])


def tiny_model():
    cfg = load_config(
        osp.join(REPO_ROOT, 'configs/demo/cam_r18_demo.py'),
        tiny_cfg_options())
    return MODELS.build(cfg.model)


def test_classifier_output_stride_and_predict():
    model = tiny_model().eval()
    x = torch.randn(1, 3, 64, 48)
    assert model.forward_cam(x).shape == (1, TINY_CLASSES, 4, 3)
    sample = sample_with_labels([0, 1, 0], shape=(64, 48))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 64, 48).long())
    out = model.predict(x, [sample])[0]
    pred = out.pred_sem_seg.data
    assert pred.shape == (1, 64, 48)
    # Only the labelled class (index 1 -> label 2) or background appear.
    assert set(pred.unique().tolist()) <= {0, 2}
    assert out.pred_score.shape == (TINY_CLASSES, )
    torch.testing.assert_close(out.gt_score, sample.gt_img_labels)
    assert out.seg_logits.data.shape == (TINY_CLASSES + 1, 64, 48)


def test_classifier_train_step_updates_weights():
    model = tiny_model().train()
    before = model.cam_head.classifier.weight.detach().clone()
    optim = torch.optim.SGD(model.parameters(), lr=0.5)
    samples = [sample_with_labels([1, 0, 1]), sample_with_labels([0, 1, 0])]
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    assert set(losses) == {'loss_cls'}
    losses['loss_cls'].backward()
    optim.step()
    assert not torch.equal(before, model.cam_head.classifier.weight)


@pytest.mark.parametrize(
    'path',
    # Model configs; pipeline configs are tests/test_pipeline_runner.py's.
    sorted(p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '*', '*.py'))
           if osp.basename(osp.dirname(p)) != 'pipelines'),
    ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_every_config_builds(path):
    cfg = Config.fromfile(path)
    if 'model' not in cfg:
        # A merge config: its mask source (SAM's needs its checkpoint).
        from mmwsss.pseudo_labels.mask_sources import MASK_SOURCES
        assert cfg.mask_source.type in MASK_SOURCES.module_dict
        if cfg.mask_source.type == 'SuperpixelMasks':
            assert MASK_SOURCES.build(cfg.mask_source) is not None
        return
    model = MODELS.build(cfg.model)
    assert model is not None
    if 'demo' not in path:
        # Real configs start from ImageNet weights or a trained checkpoint
        # (CLIP-ES: the converted CLIP, the whole model's init_cfg).
        init = cfg.model.backbone.get('init_cfg') or cfg.model.get(
            'init_cfg') or {}
        assert init.get('type') == 'Pretrained' or cfg.get('load_from')
