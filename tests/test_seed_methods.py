import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.logging import MessageHub
from mmengine.runner import Runner
from mmseg.models.backbones import ResNetV1c
from mmseg.registry import MODELS, TRANSFORMS

from mmwsss.apis import load_config
from mmwsss.cams import GradCAM
from mmwsss.cams.generate import generate_cams
from mmwsss.datasets import build_split_dataset
from mmwsss.models.backbones import ADL, ADLResNetV1c
from conftest import REPO_ROOT, TINY_CLASSES, tiny_cfg_options
from test_models import sample_with_labels


def demo_config(name):
    return osp.join(REPO_ROOT, 'configs', 'demo', name)


# ---------------------------------------------------------------- ReCAM


def official_recam_loss(head, feats, labels):
    """ReCAM's loss written as the official code does it, with the full
    [N, K, C, h, w] tensor and a loop over images."""
    cams = F.relu(F.conv2d(feats, head.classifier.weight))
    cams = cams / (F.adaptive_max_pool2d(cams, 1) + 1e-5)
    features = (cams.unsqueeze(2) * feats.unsqueeze(1)).flatten(3).mean(-1)
    loss = 0
    for i in range(feats.shape[0]):
        present = torch.nonzero(labels[i]).flatten()
        if len(present) == 0:
            continue
        logits = F.conv2d(features[i][present][..., None, None],
                          head.recam_classifier.weight).flatten(1)
        loss = loss + F.cross_entropy(logits, present)
    return loss / feats.shape[0]


def test_recam_sce_only_over_present_classes():
    torch.manual_seed(0)
    head = MODELS.build(
        dict(
            type='ReCAMHead',
            in_channels=8,
            num_classes=4,
            recam_loss_weight=0.5))
    feats = torch.randn(3, 8, 5, 6).relu()
    labels = torch.tensor([[1., 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]])
    torch.testing.assert_close(
        head.recam_loss(feats, labels),
        official_recam_loss(head, feats, labels))
    samples = [sample_with_labels(row) for row in labels.tolist()]
    losses = head.loss(feats, samples)
    assert set(losses) == {'loss_cls', 'loss_recam'}
    torch.testing.assert_close(losses['loss_recam'],
                               0.5 * official_recam_loss(head, feats, labels))
    # The absent class 3 takes no part: its ReCAM classifier row gets no
    # gradient from the SCE term through the features of absent classes,
    # and changing its *features* (CAM weight) changes nothing.
    with torch.no_grad():
        before = head.recam_loss(feats, labels)
        head.classifier.weight[3] += 5.0
        after = head.recam_loss(feats, labels)
    torch.testing.assert_close(before, after)


def test_recam_gradient_reaches_first_classifier_and_backbone():
    head = MODELS.build(dict(type='ReCAMHead', in_channels=8, num_classes=4))
    feats = torch.randn(2, 8, 5, 6, requires_grad=True)
    labels = torch.tensor([[1., 0, 1, 0], [0, 1, 0, 0]])
    head.recam_loss(feats, labels).backward()
    assert head.classifier.weight.grad.abs().sum() > 0
    assert head.recam_classifier.weight.grad.abs().sum() > 0
    assert feats.grad.abs().sum() > 0


def test_recam_inference_uses_product_of_weights():
    head = MODELS.build(dict(type='ReCAMHead', in_channels=8, num_classes=4))
    feats = torch.randn(1, 8, 3, 3)
    expected = F.conv2d(feats,
                        head.classifier.weight * head.recam_classifier.weight)
    torch.testing.assert_close(head.forward_cam(feats), expected)


# ---------------------------------------------------------------- ADL


def test_adl_masks_and_choice():
    x = torch.tensor([[[[1.0, 2.0], [3.0, 10.0]]], [[[4.0, 4.0], [4.0,
                                                                 1.0]]]])
    adl = ADL(drop_rate=1.0, threshold=0.9).train()
    # Attention = channel mean; drop where < 0.9 * per-sample max.
    expected_drop = torch.tensor([[[[1., 1.], [1., 0.]]], [[[0., 0.],
                                                            [0., 1.]]]])
    torch.testing.assert_close(adl(x), x * expected_drop)
    adl.drop_rate = 0.0
    torch.testing.assert_close(adl(x), x * x.sigmoid())
    adl.drop_rate = 0.75
    torch.manual_seed(0)
    drops = sum(
        torch.equal(adl(x), x * expected_drop) for _ in range(4000)) / 4000
    assert abs(drops - 0.75) < 0.03
    assert adl.eval()(x) is x
    assert list(adl.parameters()) == []


def test_adl_resnet_loads_resnet_weights_unchanged():
    kwargs = dict(
        depth=18,
        base_channels=8,
        stem_channels=8,
        strides=(1, 2, 2, 1),
        out_indices=(3, ))
    # mmseg's ResNet.train() returns None, so no chaining.
    plain, adl = ResNetV1c(**kwargs), ADLResNetV1c(**kwargs)
    plain.eval()
    adl.eval()
    assert set(adl.state_dict()) == set(plain.state_dict())
    adl.load_state_dict(plain.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    torch.testing.assert_close(adl(x)[0], plain(x)[0])
    assert sorted(adl.adl_layers) == ['2_0', '3_0', '3_1']
    adl.train()
    plain.train()
    torch.manual_seed(0)
    assert not torch.allclose(adl(x)[0], plain(x)[0])


def test_adl_bad_position_is_named():
    with pytest.raises(ValueError, match='block 5 does not exist'):
        ADLResNetV1c(depth=18, adl_positions=((3, 5), ))


# ---------------------------------------------------------------- CSE


def cse_model(erasing='class_specific'):
    cfg = load_config(demo_config('cse_r18_demo.py'), tiny_cfg_options())
    cfg.model.ordinary_classifier.backbone.update(
        base_channels=8, stem_channels=8)
    cfg.model.ordinary_classifier.cam_head.update(
        in_channels=64, num_classes=TINY_CLASSES)
    cfg.model.ordinary_checkpoint = None
    cfg.model.erasing = erasing
    return MODELS.build(cfg.model)


def test_cse_targets_and_remaining_labels():
    model = cse_model()
    labels = torch.tensor([[1., 0, 1], [0, 1, 0], [0, 0, 0]])
    cams = torch.randn(3, 3, 4, 4)
    torch.manual_seed(0)
    for _ in range(20):
        masks, remaining = model.erasing_targets(cams, labels)
        removed = labels - remaining
        assert removed[:2].sum(dim=1).tolist() == [1.0, 1.0]
        target = removed[0].argmax()
        assert labels[0, target] == 1
        torch.testing.assert_close(masks[0], cams[0, target])
        torch.testing.assert_close(masks[1], cams[1, 1])
        # No label: nothing erased, labels kept.
        assert masks[2].abs().sum() == 0
        assert remaining[2].sum() == 0
    agnostic = cse_model('class_agnostic')
    masks, remaining = agnostic.erasing_targets(cams, labels)
    assert remaining.sum() == 0
    torch.testing.assert_close(masks[0], cams[0, [0, 2]].amax(dim=0))


def test_cse_erase_mask_and_loss_weight_schedule():
    model = cse_model()
    inputs = torch.randn(2, 3, 8, 8)
    masks = torch.tensor([[[-1.0, 2.0], [0.0, 4.0]], [[1.0, 1.0], [1.0,
                                                                   1.0]]])
    erased, up = model.erase(inputs, masks)
    assert up.shape == (2, 1, 8, 8)
    assert up.min() >= 0 and up.amax(dim=(1, 2, 3)).sub(1).abs().max() < 1e-4
    torch.testing.assert_close(erased, inputs * (1 - up))
    assert model.erase_loss_weight(0) == pytest.approx(0.3)
    assert model.erase_loss_weight(4) == pytest.approx(0.5)
    hub = MessageHub.get_current_instance()
    hub.update_info('epoch', 2)
    assert model.erase_loss_weight() == pytest.approx(0.4)
    hub.update_info('epoch', 0)


def test_cse_frozen_classifier_and_gradient_through_erased_image():
    model = cse_model().train()
    assert not model.ordinary_classifier.training
    frozen = {
        k: v.clone()
        for k, v in model.ordinary_classifier.state_dict().items()
    }
    samples = [sample_with_labels([1, 0, 1]), sample_with_labels([0, 1, 1])]
    inputs = torch.randn(2, 3, 32, 32)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_cls', 'loss_erase'}
    # The erasing loss alone reaches the CAM network through the mask.
    losses['loss_erase'].backward(retain_graph=True)
    assert model.cam_head.classifier.weight.grad.abs().sum() > 0
    assert model.backbone.layer4[0].conv1.weight.grad.abs().sum() > 0
    assert all(p.grad is None
               for p in model.ordinary_classifier.parameters())
    optim = torch.optim.SGD(
        model.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1)
    sum(losses.values()).backward()
    optim.step()
    for key, value in model.ordinary_classifier.state_dict().items():
        torch.testing.assert_close(value, frozen[key])


# ---------------------------------------------------------------- HaS


def test_hide_and_seek_fills_patches_with_mean():
    img = np.full((10, 12, 3), 7, dtype=np.uint8)
    has = TRANSFORMS.build(
        dict(
            type='HideAndSeek',
            grid_sizes=(4, ),
            hide_prob=1.0,
            fill=(1, 2, 3)))
    out = has(dict(img=img.copy()))['img']
    assert (out == np.array([1, 2, 3], np.uint8)).all()
    has.hide_prob = 0.0
    assert (has(dict(img=img.copy()))['img'] == 7).all()
    has.grid_sizes, has.hide_prob = (0, ), 1.0
    assert (has(dict(img=img.copy()))['img'] == 7).all()
    has.grid_sizes, has.hide_prob = (2, ), 0.5
    np.random.seed(0)
    hidden = np.mean([(has(dict(img=img.copy()))['img'][::2, ::2, 0] == 1
                       ).mean() for _ in range(200)])
    assert abs(hidden - 0.5) < 0.03
    # Patches are whole: every 2x2 cell is hidden entirely or not at all.
    out = has(dict(img=img.copy()))['img'][..., 0]
    cells = out.reshape(5, 2, 6, 2).transpose(0, 2, 1, 3).reshape(30, 4)
    assert all(len(set(c)) == 1 for c in cells.tolist())


# ---------------------------------------------------------------- Grad-CAM


def test_gradcam_equals_cam_at_last_layer_and_is_batched():
    model = MODELS.build(
        load_config(demo_config('cam_r18_demo.py'),
                    tiny_cfg_options()).model).eval()
    x = torch.randn(3, 3, 48, 64)
    cams = model.forward_cam(x).detach()
    grad_cams = GradCAM(model, 'gradcam')(x)
    torch.testing.assert_close(grad_cams, cams / (3 * 4))
    # Batched over images and classes = one image at a time.
    for method in ('gradcam', 'gradcam++'):
        batched = GradCAM(model, method, 'backbone.layer3')(x)
        single = torch.cat(
            [GradCAM(model, method, 'backbone.layer3')(x[i:i + 1])
             for i in range(3)])
        torch.testing.assert_close(batched, single, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(
        GradCAM(model, 'gradcam', 'backbone.layer3')(x).relu(),
        grad_cams.relu())
    with pytest.raises(KeyError, match='nope'):
        GradCAM(model, 'gradcam', 'nope')


# ---------------------------------------------------------------- training


@pytest.fixture(scope='module')
def tiny_cam_checkpoint(tiny_data, tmp_path_factory):
    work = str(tmp_path_factory.mktemp('cam'))
    cfg = load_config(
        demo_config('cam_r18_demo.py'),
        tiny_cfg_options(max_epochs=1),
        work_dir=work,
        data_root=tiny_data)
    Runner.from_cfg(cfg).train()
    return osp.join(work, 'epoch_1.pth')


def tiny_options_for(name, checkpoint):
    options = tiny_cfg_options(max_epochs=1)
    if 'recam' in name and 'cse' not in name:
        options['load_from'] = checkpoint
    if 'cse' in name:
        options.update({
            'model.ordinary_checkpoint': checkpoint,
            'model.ordinary_classifier.backbone.base_channels': 8,
            'model.ordinary_classifier.backbone.stem_channels': 8,
            'model.ordinary_classifier.cam_head.in_channels': 64,
            'model.ordinary_classifier.cam_head.num_classes': TINY_CLASSES,
        })
    return options


@pytest.mark.parametrize('name', [
    'recam_r18_demo.py', 'adl_r18_demo.py', 'cse_r18_demo.py',
    'has_r18_demo.py', 'adl_recam_r18_demo.py', 'cse_recam_r18_demo.py'
])
def test_tiny_training_run_of_each_method(name, tiny_data,
                                          tiny_cam_checkpoint, tmp_path):
    cfg = load_config(
        demo_config(name),
        tiny_options_for(name, tiny_cam_checkpoint),
        work_dir=str(tmp_path),
        data_root=tiny_data)
    runner = Runner.from_cfg(cfg)
    model = runner.train()
    metrics = runner.test()
    assert 0 <= metrics['mIoU'] <= 100
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
    if 'cse' in name:
        # The ordinary classifier kept the CAM checkpoint's weights.
        state = torch.load(tiny_cam_checkpoint, weights_only=True)
        for key, value in model.ordinary_classifier.state_dict().items():
            torch.testing.assert_close(value, state['state_dict'][key])
    if 'recam' in name:
        assert type(model.cam_head).__name__ == 'ReCAMHead'


def test_gradcam_files_from_generate_cams(tiny_data, tiny_cam_checkpoint,
                                          tmp_path):
    cfg = load_config(demo_config('cam_r18_demo.py'), tiny_cfg_options())
    model = MODELS.build(cfg.model)
    model.load_state_dict(
        torch.load(tiny_cam_checkpoint, weights_only=True)['state_dict'])
    dataset = build_split_dataset(cfg, 'val', data_root=tiny_data)
    written = generate_cams(
        model,
        dataset,
        str(tmp_path),
        scales=(1.0, 0.5),
        method='gradcam++',
        num_workers=0,
        progress=False)
    assert written == 8
    cam = np.load(osp.join(str(tmp_path), 'val_00024.npy'),
                  allow_pickle=True).item()
    assert cam['high_res'].shape[1:] == (128, 128)
    assert cam['high_res'].max() <= 1.0


def test_compare_methods_table(tiny_data, tmp_path):
    from mmwsss.pipeline import compare_methods, format_comparison
    rows = compare_methods(
        tiny_data,
        str(tmp_path),
        methods=['cam', 'gradcam', 'recam', 'cse'],
        cfg_options=tiny_cfg_options(max_epochs=1))
    assert [r['method'] for r in rows] == ['cam', 'gradcam', 'recam', 'cse']
    assert rows[0]['relative_seconds_per_iter'] == pytest.approx(1.0)
    # Grad-CAM reads the CAM classifier: same mAP, no training of its own.
    assert rows[1]['classifier_map'] == rows[0]['classifier_map']
    assert rows[1]['seconds_per_iter'] is None
    for row in rows:
        assert 0 <= row['seed_miou'] <= 100
    table = format_comparison(rows)
    assert 'recam' in table and 'vs CAM' in table


def test_comparison_rows_of_the_pipeline_driven_methods():
    """Adversarial erasing and SEC run their own drivers: the table says
    what they start from and prints '-' where a figure does not exist
    (SEC's labels have no threshold and no CRF run of their own)."""
    from mmwsss.pipeline import build_pipeline_config, format_comparison

    def starts_from(method):
        return build_pipeline_config(method=method).starts_from

    assert starts_from('ae') == 'scratch, 3 rounds'
    assert starts_from('sec') == 'CAM seeds as cues'
    assert starts_from('recam') == 'fine-tunes CAM'
    assert starts_from('acol') == 'scratch'
    common = dict(classifier_map=99.0, seconds_per_iter=0.2,
                  relative_seconds_per_iter=1.0, background_miou=12.0)
    rows = [
        dict(common, method='cam', seed_miou=69.1, seed_threshold=0.25,
             starts_from='scratch', refine='irn', crf_miou=75.0,
             refined_miou=60.0),
        dict(common, method='sec', seed_miou=60.0, seed_threshold=None,
             starts_from='CAM seeds as cues', refine='sec', crf_miou=None,
             refined_miou=None),
    ]
    lines = format_comparison(rows).splitlines()
    sec = next(line for line in lines if ' sec ' in line)
    cells = [c.strip() for c in sec.strip('|').split('|')]
    assert cells[1] == '60.00' and cells[2] == '-' and cells[-2:] == ['-', '-']
    cam = next(line for line in lines if ' cam ' in line)
    assert '60.00 (irn)' in cam and '75.00' in cam


def test_stage_dependencies_are_declared_in_the_pipeline_configs():
    """Which stage a method builds on is an input of its training stage in
    its pipeline config; every stage-1 config a pipeline names exists."""
    from mmwsss.apis import resolve_config_path
    from mmwsss.pipeline import (PRESETS, build_pipeline_config,
                                 method_names)
    for preset in PRESETS:
        for method in method_names(preset):
            cfg = build_pipeline_config(method=method, preset=preset)
            for key, stage in cfg.stages.items():
                if stage is not None and 'config' in stage and \
                        '{' not in stage['config']:
                    assert osp.isfile(resolve_config_path(
                        stage['config'])), (method, preset, key)
            assert osp.isfile(resolve_config_path(cfg.seed_config))

    def training(method, preset='demo'):
        return build_pipeline_config(
            method=method, preset=preset).stages['{seed}/train']

    assert training('recam')['load_from'] == 'cam/train'
    assert training('adl+recam')['load_from'] == 'cam/train'
    assert training('cse')['ordinary'] == 'cam/train'
    voc = build_pipeline_config(method='recam', preset='voc')
    assert voc.stages['{seed}/train']['load_from'] == \
        'cam_r50_voc_recam/train'
    assert voc.stages['cam_r50_voc_recam/train']['config'] == \
        'recam/cam_r50_voc_recam.py'
    assert 'load_from' not in training('acol')


def test_cse_refuses_to_train_without_its_ordinary_classifier():
    with pytest.raises(ValueError, match='ordinary_checkpoint'):
        cse_model().init_weights()
