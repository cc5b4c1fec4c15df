import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmwsss.cams import save_cam_file
from mmwsss.evaluation import evaluate_seeds
from mmwsss.utils import save_palette_png
from conftest import REPO_ROOT


@pytest.fixture
def hand_made(tmp_path):
    """Two 4x4 images with known seeds; see the expected figures below."""
    root = tmp_path / 'root'
    # Seed evaluation reads no image, but the tool checks the VOC layout.
    for sub in ('JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation'):
        os.makedirs(root / sub)
    (root / 'classes.txt').write_text('cat\ndog\n')
    (root / 'ImageSets/Segmentation/train.txt').write_text('a\nb\n')
    gt_a = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [1, 1, 0, 0],
                     [1, 1, 0, 255]])
    cam_a = np.array([[.8, .8, .2, .6], [.8, .8, .2, .2], [.8, .8, .2, .2],
                      [.8, .8, .2, .9]])
    gt_b = np.full((4, 4), 2)
    gt_b[0] = 0
    save_palette_png(gt_a, str(root / 'SegmentationClass/a.png'))
    save_palette_png(gt_b, str(root / 'SegmentationClass/b.png'))
    cam_dir = tmp_path / 'cams'
    save_cam_file(str(cam_dir / 'a.npy'), [0], cam_a[None])
    save_cam_file(str(cam_dir / 'b.npy'), [1], np.ones((1, 4, 4)))
    return str(root), str(cam_dir)


def test_known_miou_and_best_threshold(hand_made):
    root, cam_dir = hand_made
    result = evaluate_seeds(
        cam_dir, root, 'train', thresholds=(0.5, 0.7, 0.95), progress=False)
    # t=0.5: bg 6/11, cat 8/9, dog 12/16; t=0.7: bg 7/11, cat 1, dog 12/16;
    # t=0.95: bg 7/19, cat 0, dog 12/16.
    assert result['miou_by_threshold'] == {
        '0.50': 72.81,
        '0.70': 79.55,
        '0.95': 37.28
    }
    assert result['best_threshold'] == 0.7
    assert result['best_miou'] == 79.55
    assert result['per_class_iou']['cat'] == pytest.approx(100.0)
    assert result['per_class_iou']['dog'] == pytest.approx(75.0)
    # Everything background: bg 11/31, cat 0, dog 0.
    assert result['background_miou'] == pytest.approx(11.83)


def test_missing_cam_file_is_reported(hand_made):
    root, cam_dir = hand_made
    os.remove(osp.join(cam_dir, 'b.npy'))
    with pytest.raises(FileNotFoundError, match=r'1 of 2 .*b\.npy'):
        evaluate_seeds(cam_dir, root, 'train', progress=False)


def test_cam_of_wrong_size_is_reported(hand_made):
    root, cam_dir = hand_made
    save_cam_file(osp.join(cam_dir, 'b.npy'), [1], np.ones((1, 3, 4)))
    with pytest.raises(ValueError, match=r'b\.npy.*\(3, 4\).*\(4, 4\)'):
        evaluate_seeds(cam_dir, root, 'train', progress=False)


def test_eval_cams_tool_writes_json_and_table(hand_made, tmp_path):
    root, cam_dir = hand_made
    out = str(tmp_path / 'eval.json')
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools/eval_cams.py'), '--cam-dir', cam_dir,
        '--data-root', root, '--thresholds', '0.5', '0.7', '--out', out
    ],
                          capture_output=True,
                          text=True,
                          check=True)
    assert 'Seed mIoU 79.55 at background threshold 0.70' in proc.stdout
    with open(out) as f:
        assert json.load(f)['best_miou'] == 79.55
