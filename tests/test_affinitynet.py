"""AffinityNet (PSA): its loss and pair labels against a literal
re-implementation of PSA's code, its training labels against PSA's
``_crf_with_alpha`` and label combination, and a tiny training run whose
affinities drive the random walk."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample
from test_random_walk import official_get_indices_of_pairs

from mmwsss.apis import load_config
from mmwsss.models.heads import AffinityHead
from mmwsss.models.heads.affinity_head import (block_mode_label,
                                               window_feature_affinities)
from mmwsss.pseudo_labels import PSA_CRF_DEFAULTS, psa_affinity_label
from mmwsss.utils import load_label_png
from conftest import REPO_ROOT, TINY_CLASSES, no_worker_options, run_tool

PSA_DEMO = osp.join(REPO_ROOT, 'configs', 'demo', 'affinitynet_r18_demo.py')


# --- PSA's code, re-typed (tool/pyutils.py, network/resnet38_aff.py,
# voc12/data.py, train_aff.py, infer_cls.py, tool/imutils.py) ---
def psa_forward_aff(x, radius):
    ind_from, ind_to = official_get_indices_of_pairs(radius, x.shape[2:])
    ind_from, ind_to = torch.from_numpy(ind_from), torch.from_numpy(ind_to)
    x = x.view(x.size(0), x.size(1), -1)
    ff = torch.index_select(x, dim=2, index=ind_from)
    ft = torch.index_select(x, dim=2, index=ind_to)
    ff = torch.unsqueeze(ff, dim=2)
    ft = ft.view(ft.size(0), ft.size(1), -1, ff.size(3))
    return torch.exp(-torch.mean(torch.abs(ft - ff), dim=1))


def psa_extract_affinity_label(label, cropsize, radius):
    search_dst = []
    for x in range(1, radius):
        search_dst.append((0, x))
    for y in range(1, radius):
        for x in range(-radius + 1, radius):
            if x * x + y * y < radius * radius:
                search_dst.append((y, x))
    radius_floor = radius - 1
    crop_height = cropsize[0] - radius_floor
    crop_width = cropsize[1] - 2 * radius_floor
    labels_from = label[:-radius_floor, radius_floor:-radius_floor]
    labels_from = np.reshape(labels_from, [-1])
    labels_to_list, valid_pair_list = [], []
    for dy, dx in search_dst:
        labels_to = label[dy:dy + crop_height,
                          radius_floor + dx:radius_floor + dx + crop_width]
        labels_to = np.reshape(labels_to, [-1])
        valid_pair = np.logical_and(
            np.less(labels_to, 255), np.less(labels_from, 255))
        labels_to_list.append(labels_to)
        valid_pair_list.append(valid_pair)
    bc_labels_from = np.expand_dims(labels_from, 0)
    concat_labels_to = np.stack(labels_to_list)
    concat_valid_pair = np.stack(valid_pair_list)
    pos = np.equal(bc_labels_from, concat_labels_to)
    bg_pos = np.logical_and(pos, np.equal(bc_labels_from, 0))
    fg_pos = np.logical_and(
        np.logical_and(pos, np.not_equal(bc_labels_from, 0)),
        concat_valid_pair)
    neg = np.logical_and(np.logical_not(pos), concat_valid_pair)
    return (torch.from_numpy(bg_pos.astype(np.float32)),
            torch.from_numpy(fg_pos.astype(np.float32)),
            torch.from_numpy(neg.astype(np.float32)))


def psa_train_aff_loss(aff, bg_label, fg_label, neg_label):
    bg_count = torch.sum(bg_label) + 1e-5
    fg_count = torch.sum(fg_label) + 1e-5
    neg_count = torch.sum(neg_label) + 1e-5
    bg_loss = torch.sum(-bg_label * torch.log(aff + 1e-5)) / bg_count
    fg_loss = torch.sum(-fg_label * torch.log(aff + 1e-5)) / fg_count
    neg_loss = torch.sum(-neg_label * torch.log(1. + 1e-5 - aff)) / neg_count
    return bg_loss / 4 + fg_loss / 4 + neg_loss / 2


def psa_crf_inference(img, probs, t=10, scale_factor=1, labels=21):
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax
    h, w = img.shape[:2]
    d = dcrf.DenseCRF2D(w, h, labels)
    unary = np.ascontiguousarray(unary_from_softmax(probs))
    d.setUnaryEnergy(unary)
    d.addPairwiseGaussian(sxy=3 / scale_factor, compat=3)
    d.addPairwiseBilateral(
        sxy=80 / scale_factor, srgb=13, rgbim=np.copy(img), compat=10)
    q = d.inference(t)
    return np.array(q).reshape((labels, h, w))


def psa_crf_with_alpha(orig_img, cam_dict, alpha):
    v = np.array(list(cam_dict.values()))
    bg_score = np.power(1 - np.max(v, axis=0, keepdims=True), alpha)
    bgcam_score = np.concatenate((bg_score, v), axis=0)
    crf_score = psa_crf_inference(
        orig_img, bgcam_score.astype(np.float32),
        labels=bgcam_score.shape[0])
    n_crf_al = dict()
    n_crf_al[0] = crf_score[0]
    for i, key in enumerate(cam_dict.keys()):
        n_crf_al[key + 1] = crf_score[i + 1]
    return n_crf_al


# --- tests ---
@pytest.mark.parametrize('size, radius', [((12, 15), 5), ((9, 8), 3)])
def test_loss_and_pair_labels_match_psa(size, radius):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    features = torch.rand(2, 6, *size)
    labels = rng.integers(0, 4, size=(2, ) + size)
    labels[rng.random(labels.shape) < 0.2] = 255
    # PSA's affinities of the same pairs, same order of sources.
    ours = window_feature_affinities(features, radius)
    ref = psa_forward_aff(features, radius)
    torch.testing.assert_close(ours.flatten(2), ref.view_as(ours.flatten(2)))

    head = AffinityHead((4, 4, 4), channels=(2, 2, 2), num_classes=4,
                        radius=radius, label_stride=1)
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.from_numpy(label)[None])
        samples.append(sample)
    losses = head.loss_by_feat(features, samples)
    bg, fg, neg = zip(*(psa_extract_affinity_label(lab, size, radius)
                        for lab in labels))
    reference = psa_train_aff_loss(ref, torch.stack(bg), torch.stack(fg),
                                   torch.stack(neg))
    torch.testing.assert_close(sum(losses.values()), reference, rtol=1e-5,
                               atol=1e-6)


def test_block_mode_label():
    label = torch.tensor([[[1, 1, 2, 255], [1, 0, 255, 255],
                           [0, 0, 3, 3], [0, 255, 3, 255]]])
    pooled = block_mode_label(label, 2, num_classes=4)
    assert pooled.tolist() == [[[1, 255], [0, 3]]]


def test_training_label_matches_psa_crf_with_alpha():
    rng = np.random.default_rng(1)
    h, w = 40, 48
    image = np.full((h, w, 3), 40, np.uint8)
    image[8:30, 10:36] = (200, 90, 60)
    image = np.clip(image + rng.integers(0, 20, image.shape), 0,
                    255).astype(np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    cam = np.exp(-((yy - 19)**2 + (xx - 23)**2) / 120.).astype(np.float32)
    other = np.exp(-((yy - 5)**2 + (xx - 40)**2) / 30.).astype(np.float32)
    cams = np.stack([cam, other * 0.6])
    keys = np.array([4, 9])
    ours = psa_affinity_label(cams, keys, image)
    la = psa_crf_with_alpha(image, {4: cams[0], 9: cams[1]}, 4)
    ha = psa_crf_with_alpha(image, {4: cams[0], 9: cams[1]}, 32)
    # VOC12AffDataset's combination (no crop: every pixel has a score).
    classes = np.array(list(la.keys()))
    label_la = classes[np.argmax(np.array(list(la.values())), axis=0)]
    label_ha = classes[np.argmax(np.array(list(ha.values())), axis=0)]
    label = label_la.copy()
    label[label_la == 0] = 255
    label[label_ha == 0] = 0
    np.testing.assert_array_equal(ours, label)
    assert {0, 5, 255} <= set(np.unique(ours).tolist())
    assert PSA_CRF_DEFAULTS['bilateral_sxy'] == 80


def test_configs_build():
    from mmseg.registry import MODELS
    for name in ('affinitynet/affinitynet_r50_voc.py',
                 'demo/affinitynet_r18_demo.py'):
        cfg = load_config(name)
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        x = torch.randn(1, 3, 64, 80)
        model.eval()
        with torch.no_grad():
            features = model.predict_features(x)
        assert features.shape == (1, 448, 8, 10)
        # PSA's walk; the demo's length relative to its smaller images.
        expected = dict(alpha=16, beta=8, logt=8, radius=5)
        if name.startswith('demo'):
            expected['steps_rule'] = 'relative'
        assert cfg.random_walk_cfg == expected


def test_tiny_training_run_and_random_walk(tiny_data, tiny_checkpoint,
                                           tmp_path):
    """PSA labels from the tiny classifier's CAMs, an AffinityNet trained
    on them from its backbone, and random-walk labels from it."""
    from mmwsss.apis import make_cams
    cam_dir, label_dir = tmp_path / 'cams', tmp_path / 'labels'
    make_cams(*tiny_checkpoint, str(cam_dir), data_root=tiny_data,
              scales=(1.0, ), num_workers=0, progress=False)
    out = run_tool('make_pseudo_labels.py', '--cam-dir', cam_dir,
                   '--data-root', tiny_data, '--out-dir', label_dir,
                   '--affinity-labels', '--num-workers', 0)
    assert '24 pseudo labels written' in out
    labels = [load_label_png(str(label_dir / n))
              for n in sorted(os.listdir(label_dir)) if n.endswith('.png')]
    assert any((lab == 255).any() for lab in labels)

    options = {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.affinity_head.in_channels': (16, 32, 64),
        'model.affinity_head.num_classes': TINY_CLASSES + 1,
        'train_dataloader.batch_size': 8,
        'train_dataloader.dataset.pseudo_label_dir': str(label_dir),
        'train_cfg.max_epochs': 2,
        'param_scheduler.0.end': 2,
        'default_hooks.checkpoint.interval': 2,
        'default_hooks.logger.interval': 1,
        'load_from': tiny_checkpoint[1],
    }
    options.update(no_worker_options())
    config = tmp_path / 'psa.py'
    load_config(PSA_DEMO, options, data_root=tiny_data).dump(str(config))
    run_tool('train.py', config, '--work-dir', tmp_path / 'work')
    checkpoint = tmp_path / 'work' / 'epoch_2.pth'
    out = run_tool('make_sem_seg_labels.py', config, checkpoint,
                   '--cam-dir', cam_dir, '--out-dir', tmp_path / 'rw',
                   '--data-root', tiny_data, '--num-workers', 0)
    assert '24 random-walk labels written' in out and 'mIoU' in out
    for name in sorted(n for n in os.listdir(tmp_path / 'rw')
                       if n.endswith('.png'))[:4]:
        label = load_label_png(str(tmp_path / 'rw' / name))
        assert label.shape == (128, 128) and label.max() <= TINY_CLASSES
    # With a dense CRF: the CRF of the walk's labels on the image.
    from mmwsss.apis import make_sem_seg_labels
    from mmwsss.cams import load_cam_file
    from mmwsss.pseudo_labels import CRF_DEFAULTS, crf_refine_labels
    from mmwsss.utils import read_rgb
    assert make_sem_seg_labels(
        str(config), str(checkpoint), str(cam_dir), str(tmp_path / 'rw_crf'),
        data_root=tiny_data, num_workers=0, device='cpu', progress=False,
        crf=CRF_DEFAULTS) == 24
    changed = 0
    for name in sorted(n for n in os.listdir(tmp_path / 'rw')
                       if n.endswith('.png'))[:4]:
        plain = load_label_png(str(tmp_path / 'rw' / name))
        keys = load_cam_file(str(cam_dir / name.replace('.png', '.npy')))[
            'keys']
        local = np.zeros(TINY_CLASSES + 1, dtype=np.int64)
        local[keys + 1] = np.arange(1, len(keys) + 1)
        image = read_rgb(osp.join(tiny_data, 'JPEGImages',
                                  name.replace('.png', '.jpg')))
        index = crf_refine_labels(image, local[plain], len(keys) + 1,
                                  **CRF_DEFAULTS)
        expected = np.concatenate([[0], keys + 1])[index]
        refined = load_label_png(str(tmp_path / 'rw_crf' / name))
        np.testing.assert_array_equal(refined, expected)
        changed += int((refined != plain).sum())
    assert changed > 0
    # The background exponent's sweep: its alpha-16 labels are the tool's.
    from mmwsss.apis.random_walk import sweep_psa_alpha
    from mmwsss.evaluation import evaluate_pseudo_labels
    sweep = sweep_psa_alpha(
        str(config), str(checkpoint), str(cam_dir), 'train',
        data_root=tiny_data, alphas=(4, 16), num_workers=0, device='cpu',
        progress=False)
    assert sweep['alphas'] == [4.0, 16.0]
    assert sweep['miou'][1] == evaluate_pseudo_labels(
        str(tmp_path / 'rw'), tiny_data, 'train')['miou']
    assert sweep['best_miou'] == max(sweep['miou'])
    # Its boundary map: one minus the mean affinity, on the stride-8 grid.
    from mmwsss.apis import evaluate_boundary_map
    boundary = evaluate_boundary_map(
        str(config), str(checkpoint), 'val', data_root=tiny_data,
        num_workers=0, device='cpu', progress=False)
    assert boundary['cells'] == 8 * 16 * 16
    assert 0 < boundary['chance'] < 60 and 0 < boundary['boundary_ap'] <= 100
    # PSA propagates its own background: no threshold to sweep.
    stderr = run_tool('make_sem_seg_labels.py', config, checkpoint,
                      '--cam-dir', cam_dir, '--out-dir', tmp_path / 'rw2',
                      '--data-root', tiny_data, '--save-scores',
                      tmp_path / 'scores', expect_ok=False)
    assert 'only IRN' in stderr
