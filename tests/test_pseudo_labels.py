import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.cams import cams_to_label, save_cam_file
from mmwsss.evaluation import evaluate_pseudo_labels
from mmwsss.pseudo_labels import (CRF_DEFAULTS, background_score,
                                  confident_region_label, crf_refine_labels,
                                  generate_pseudo_labels, label_from_cams)
from mmwsss.utils import load_label_png, save_palette_png

CAMS = np.array([
    [[0.9, 0.4, 0.1], [0.2, 0.0, 0.0]],  # class 3
    [[0.1, 0.6, 0.2], [0.02, 0.04, 0.5]],  # class 7
], dtype=np.float32)
KEYS = [3, 7]


def test_background_scores():
    np.testing.assert_allclose(
        background_score(CAMS, 'constant', threshold=0.3),
        np.full((2, 3), 0.3))
    np.testing.assert_allclose(
        background_score(CAMS, 'power', alpha=2.0),
        (1 - CAMS.max(axis=0))**2, rtol=1e-6)
    np.testing.assert_allclose(
        background_score(np.zeros((0, 2, 2)), 'power'), np.ones((2, 2)))
    with pytest.raises(ValueError, match='background mode'):
        background_score(CAMS, 'other')


def test_argmax_labels_with_constant_and_power_background():
    label = label_from_cams(CAMS, KEYS, bg_threshold=0.45)
    assert label.tolist() == [[4, 8, 0], [0, 0, 8]]
    # Power score (1 - max)^1: pixel (0, 2) max 0.2 -> bg 0.8 wins.
    label = label_from_cams(CAMS, KEYS, bg_mode='power', alpha=1.0)
    assert label.tolist() == [[4, 8, 0], [0, 0, 0]]


def test_numpy_and_torch_argmax_rules_agree():
    """Pseudo labels (numpy, in label workers) and seeds (torch, in
    ``predict`` and seed evaluation) use one rule: the background wins a
    tie with a CAM, and the first of tied CAMs wins."""
    rng = np.random.default_rng(0)
    for trial in range(200):
        n = int(rng.integers(0, 5))
        keys = rng.permutation(20)[:n].tolist()
        # Coarse values make ties between CAMs and with the threshold.
        cams = (rng.integers(0, 11, (n, 7, 9)) / 10).astype(np.float32)
        threshold = float(rng.integers(0, 11)) / 10 if trial % 2 else \
            float(rng.random())
        numpy_label = label_from_cams(cams, keys, bg_threshold=threshold)
        torch_label = cams_to_label(torch.from_numpy(cams), keys, threshold)
        assert torch_label.dtype == torch.long
        np.testing.assert_array_equal(numpy_label, torch_label.numpy())


def test_confident_region_rule():
    label = confident_region_label(
        CAMS, KEYS, fg_threshold=0.30, bg_threshold=0.05)
    # fg > 0.30 -> class; all < 0.05 -> background; else ignore.
    assert label.tolist() == [[4, 8, 255], [255, 0, 8]]
    with pytest.raises(ValueError, match='below'):
        confident_region_label(CAMS, KEYS, fg_threshold=0.01,
                               bg_threshold=0.05)


def test_crf_snaps_labels_to_a_known_edge():
    # Image: left half dark, right half bright, edge at column 20.
    image = np.zeros((40, 40, 3), np.uint8)
    image[:, 20:] = 220
    rng = np.random.default_rng(0)
    image = np.clip(image + rng.normal(0, 5, image.shape), 0,
                    255).astype(np.uint8)
    truth = np.zeros((40, 40), np.int64)
    truth[:, 20:] = 1
    # A blurry, shifted label: the edge is at column 26.
    coarse = np.zeros((40, 40), np.int64)
    coarse[:, 26:] = 1
    refined = crf_refine_labels(image, coarse, 2, **CRF_DEFAULTS)
    before = (coarse == truth).mean()
    after = (refined == truth).mean()
    assert after > before + 0.1
    assert after > 0.97
    with pytest.raises(KeyError, match='unknown CRF settings'):
        crf_refine_labels(image, coarse, 2, sxy=1)


@pytest.fixture
def cam_root(tmp_path):
    root = tmp_path / 'root'
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(root / sub)
    (root / 'classes.txt').write_text('cat\ndog\n')
    ids = ['a', 'b', 'c']
    (root / 'ImageSets/Segmentation/train.txt').write_text('\n'.join(ids))
    cam_dir = tmp_path / 'cams'
    rng = np.random.default_rng(1)
    for img_id in ids:
        Image.fromarray(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8)).save(
            root / 'JPEGImages' / f'{img_id}.jpg')
        gt = np.zeros((6, 8), np.uint8)
        gt[:, 4:] = 2
        save_palette_png(gt, str(root / 'SegmentationClass' / f'{img_id}.png'))
        cam = np.zeros((1, 6, 8), np.float32)
        cam[0, :, 3:] = 1.0  # one column too wide
        save_cam_file(str(cam_dir / f'{img_id}.npy'), [1], cam)
    return str(root), str(cam_dir)


def test_generate_palette_pngs_resume_and_evaluate(cam_root, tmp_path):
    root, cam_dir = cam_root
    out = str(tmp_path / 'labels')
    assert generate_pseudo_labels(
        cam_dir, root, 'train', out, bg_threshold=0.5, num_workers=1,
        progress=False) == 3
    with Image.open(osp.join(out, 'a.png')) as png:
        assert png.mode == 'P'
        assert png.getpalette()[6:9] == [0, 128, 0]  # class 2 is green
    label = load_label_png(osp.join(out, 'a.png'))
    assert label[:, 3:].min() == 2 and label[:, :3].max() == 0
    # Resume: a lost label and a stale temporary file.
    os.remove(osp.join(out, 'b.png'))
    open(osp.join(out, '.c.png.x.png.tmp'), 'w').close()
    assert generate_pseudo_labels(
        cam_dir, root, 'train', out, bg_threshold=0.5, num_workers=2,
        progress=False) == 1
    assert sorted(os.listdir(out)) == ['a.png', 'b.png', 'c.png',
                                       'manifest.json']

    result = evaluate_pseudo_labels(out, root, 'train', progress=False)
    # Per image: bg I=3*6, pred 3*6, gt 4*6; dog I=4*6, pred 5*6, gt 4*6.
    assert result['per_class']['background']['iou'] == pytest.approx(75.0)
    assert result['per_class']['dog']['iou'] == pytest.approx(80.0)
    assert result['per_class']['dog']['precision'] == pytest.approx(80.0)
    assert result['per_class']['dog']['recall'] == pytest.approx(100.0)
    assert result['per_class']['cat']['iou'] is None
    assert result['miou'] == pytest.approx(77.5)
    assert result['ignored_fraction'] == 0.0


def test_confident_labels_report_ignored_fraction(cam_root, tmp_path):
    root, cam_dir = cam_root
    out = str(tmp_path / 'conf')
    generate_pseudo_labels(cam_dir, root, 'train', out, mode='confident',
                           fg_threshold=1.5, low_threshold=0.5,
                           num_workers=1, progress=False)
    result = evaluate_pseudo_labels(out, root, 'train', progress=False)
    # CAM 1.0 lies between 0.5 and 1.5: those 5 columns of 8 are ignored.
    assert result['ignored_fraction'] == pytest.approx(62.5)


def test_missing_cam_files_fail_before_writing(cam_root, tmp_path):
    root, cam_dir = cam_root
    os.remove(osp.join(cam_dir, 'c.npy'))
    out = str(tmp_path / 'labels')
    with pytest.raises(FileNotFoundError, match=r'1 of 3 .*c\.npy'):
        generate_pseudo_labels(cam_dir, root, 'train', out, num_workers=1)
    assert not osp.exists(out)
