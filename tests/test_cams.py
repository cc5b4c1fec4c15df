import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmwsss.cams import (cams_to_label, load_cam_file, multi_scale_cams,
                         normalize_cams, save_cam_file)
from mmwsss.utils import atomic_write


def test_multi_scale_cams_sums_relu_and_flips():
    images = torch.randn(2, 3, 16, 24)

    def cam_fn(x):
        # A CAM equal to the first channel, at stride 1.
        return x[:, :1].repeat(1, 2, 1, 1)

    single = multi_scale_cams(cam_fn, images, (1.0, ), False, 1)
    torch.testing.assert_close(single,
                               images[:, :1].relu().repeat(1, 2, 1, 1))
    flipped = multi_scale_cams(cam_fn, images, (1.0, ), True, 1)
    torch.testing.assert_close(flipped, 2 * single)
    multi = multi_scale_cams(cam_fn, images, (1.0, 0.5, 2.0), True, 1)
    assert multi.shape == (2, 2, 16, 24)
    assert (multi >= 0).all()


def test_multi_scale_cams_strided_alignment():
    images = torch.zeros(1, 3, 30, 30)
    calls = []

    def cam_fn(x):
        calls.append(tuple(x.shape))
        h, w = -(-x.shape[2] // 16), -(-x.shape[3] // 16)
        return torch.ones(x.shape[0], 1, h, w)

    out = multi_scale_cams(cam_fn, images, (1.0, 0.5), True, 16)
    # One batched call per scale, original and flipped together.
    assert calls == [(2, 3, 30, 30), (2, 3, 15, 15)]
    torch.testing.assert_close(out, torch.full((1, 1, 30, 30), 4.0))


def test_normalize_and_label():
    cams = torch.tensor([[[0.0, 2.0], [1.0, 4.0]], [[3.0, 0.0], [0.0, 0.0]]])
    norm = normalize_cams(cams, eps=0)
    torch.testing.assert_close(norm.amax(dim=(1, 2)), torch.ones(2))
    label = cams_to_label(norm, [4, 1], bg_threshold=0.4)
    # Class 4 -> label 5, class 1 -> label 2; <= threshold is background.
    assert label.tolist() == [[2, 5], [0, 5]]
    empty = cams_to_label(torch.zeros(0, 2, 3), [], 0.5)
    assert empty.shape == (2, 3) and empty.sum() == 0


def test_cam_file_round_trip_and_format(tmp_path):
    path = str(tmp_path / 'x.npy')
    high_res = np.random.rand(2, 5, 6).astype(np.float32)
    save_cam_file(path, [3, 7], high_res)
    raw = np.load(path, allow_pickle=True).item()
    assert set(raw) == {'keys', 'high_res'}
    assert raw['high_res'].dtype == np.float32
    assert raw['keys'].tolist() == [3, 7]
    loaded = load_cam_file(path, num_classes=20, shape=(5, 6))
    np.testing.assert_array_equal(loaded['high_res'], high_res)
    assert os.listdir(tmp_path) == ['x.npy']


@pytest.mark.parametrize('content, message', [
    (dict(keys=np.array([1])), 'must hold a dict'),
    (dict(keys=np.array([1, 2]), high_res=np.zeros((1, 4, 4))),
     r'\[2, H, W\]'),
    (dict(keys=np.array([25]), high_res=np.zeros((1, 4, 4))), 'outside'),
    (dict(keys=np.array([1]), high_res=np.zeros((1, 3, 4))), 'image is'),
])
def test_bad_cam_files_are_named(tmp_path, content, message):
    path = str(tmp_path / 'bad.npy')
    np.save(path, content)
    with pytest.raises(ValueError, match=message) as err:
        load_cam_file(path, num_classes=20, shape=(4, 4))
    assert 'bad.npy' in str(err.value)


def test_corrupt_cam_file(tmp_path):
    path = tmp_path / 'broken.npy'
    path.write_bytes(b'\x93NUMPY garbage')
    with pytest.raises(ValueError, match='broken.npy'):
        load_cam_file(str(path))


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = str(tmp_path / 'out.npy')
    with pytest.raises(RuntimeError):
        with atomic_write(target) as tmp:
            with open(tmp, 'w') as f:
                f.write('partial')
            raise RuntimeError('interrupted')
    assert os.listdir(tmp_path) == []
    with atomic_write(target) as tmp:
        assert osp.dirname(tmp) == str(tmp_path)
        with open(tmp, 'w') as f:
            f.write('whole')
    assert os.listdir(tmp_path) == ['out.npy']
