import os
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmseg.registry import MODELS

from mmwsss.apis import load_config
from mmwsss.cams import (cams_to_label, load_cam_file, multi_scale_cams,
                         normalize_cams, save_cam_file, strided_cams,
                         strided_size)
from mmwsss.cams.gradcam import GradCAM, normalize_maps
from mmwsss.models.utils.cam_inference import rescale_images
from mmwsss.utils import atomic_write
from conftest import DEMO_CONFIG, tiny_cfg_options


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
    assert 'cam' not in loaded
    # Without IRN's strided maps, readers derive them from high_res.
    derived = strided_cams(loaded)
    assert derived.shape == (2, 2, 2)
    np.testing.assert_allclose(derived.max(axis=(1, 2)), 1, atol=1e-4)


def test_cam_file_keeps_irn_strided_cam_as_a_tensor(tmp_path):
    path = str(tmp_path / 'x.npy')
    high_res = np.random.rand(2, 9, 6).astype(np.float32)
    cam = np.random.rand(2, 3, 2).astype(np.float32)
    save_cam_file(path, [3, 7], high_res, cam)
    raw = np.load(path, allow_pickle=True).item()
    # IRN's make_sem_seg_labels calls cam_dict['cam'].cuda().
    assert isinstance(raw['cam'], torch.Tensor)
    assert raw['cam'].dtype == torch.float32
    np.testing.assert_array_equal(raw['cam'].numpy(), cam)
    # IRN's keys arithmetic: np.pad(keys + 1, (1, 0)).
    assert np.pad(raw['keys'] + 1, (1, 0)).tolist() == [0, 4, 8]
    loaded = load_cam_file(path, num_classes=20, shape=(9, 6))
    np.testing.assert_array_equal(strided_cams(loaded), cam)
    with pytest.raises(ValueError, match=r'x.npy: "cam" must be'):
        save_cam_file(path, [3, 7], high_res, cam[:, :2])


def irn_make_cam_reference(model_forward, scaled_pairs, size):
    """IRN's step/make_cam.py for one image, re-typed: ``scaled_pairs``
    holds, per scale, the image and its flip; ``model_forward`` is
    resnet50_cam.CAM.forward (ReLU'd CAMs, flip folded back)."""
    strided_size = ((size[0] - 1) // 4 + 1, (size[1] - 1) // 4 + 1)
    strided_up_size = ((size[0] - 1) // 16 * 16 + 16,
                       (size[1] - 1) // 16 * 16 + 16)
    outputs = [model_forward(img) for img in scaled_pairs]
    strided_cam = torch.sum(torch.stack([
        F.interpolate(
            torch.unsqueeze(o, 0), strided_size, mode='bilinear',
            align_corners=False)[0] for o in outputs
    ]), 0)
    highres_cam = [
        F.interpolate(
            torch.unsqueeze(o, 1), strided_up_size, mode='bilinear',
            align_corners=False) for o in outputs
    ]
    highres_cam = torch.sum(torch.stack(highres_cam, 0),
                            0)[:, 0, :size[0], :size[1]]
    strided_cam /= F.adaptive_max_pool2d(strided_cam, (1, 1)) + 1e-5
    highres_cam /= F.adaptive_max_pool2d(highres_cam, (1, 1)) + 1e-5
    return strided_cam, highres_cam


@pytest.mark.parametrize('size', [(37, 50), (64, 48)])
def test_cams_equal_irn_make_cam(size):
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 4, 3, stride=16, padding=1)
    image = torch.randn(1, 3, *size)
    scales = (1.0, 0.5, 1.5)

    def cam_fn(x):
        return conv(x)

    def irn_forward(pair):
        x = F.relu(conv(pair))
        return x[0] + x[1].flip(-1)

    with torch.no_grad():
        # Image rescaling is ours in both (IRN rescales uint8 images with
        # PIL before normalising; a documented difference).
        pairs = [
            torch.cat([rescale_images(image, s),
                       rescale_images(image, s).flip(-1)]) for s in scales
        ]
        ref_strided, ref_high = irn_make_cam_reference(irn_forward, pairs,
                                                       size)
        high, strided = multi_scale_cams(
            cam_fn, image, scales, True, 16, strided_stride=4)
    assert strided.shape[-2:] == strided_size(size)
    torch.testing.assert_close(normalize_cams(high[0]), ref_high)
    torch.testing.assert_close(normalize_cams(strided[0]), ref_strided)


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


# ------------------------------------------------ Grad-CAM across scales


def scale_cam_image_reference(cam, target_size=None):
    """pytorch-grad-cam's ``utils/image.py`` ``scale_cam_image``, re-typed
    (numpy, one map per row; ``target_size`` resizing left out: the maps
    here stay at feature resolution)."""
    result = []
    for img in cam:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        result.append(img)
    result = np.float32(result)
    return result


def gradcam_forward_reference(cam):
    """pytorch-grad-cam's ``BaseCAM.compute_cam_per_layer`` and
    ``aggregate_multi_layers`` for one target layer and one target class,
    re-typed, without resizing: ReLU, ``scale_cam_image``, mean over the
    one layer, ReLU, ``scale_cam_image`` again."""
    cam = np.maximum(cam, 0)
    scaled = scale_cam_image_reference(cam)
    cam_per_target_layer = np.concatenate([scaled[:, None, :]], axis=1)
    cam_per_target_layer = np.maximum(cam_per_target_layer, 0)
    result = np.mean(cam_per_target_layer, axis=1)
    return scale_cam_image_reference(result)


def tiny_cam_classifier():
    torch.manual_seed(0)
    model = MODELS.build(
        load_config(DEMO_CONFIG, tiny_cfg_options()).model).eval()
    # Weights of both signs: positive and negative CAMs in every map.
    with torch.no_grad():
        model.cam_head.classifier.weight.normal_()
    return model


def test_gradcam_map_norm_equals_pytorch_grad_cam_scale_cam_image():
    maps = torch.randn(2, 3, 5, 7) * 4
    maps[0, 1] = 2.5  # a flat map: all zero after min-max, as the reference
    for b in range(2):
        for k in range(3):
            reference = gradcam_forward_reference(maps[b, k][None].numpy())
            ours = normalize_maps(maps[b, k].relu(), 'minmax')
            np.testing.assert_allclose(ours.numpy(), reference[0],
                                       rtol=1e-5, atol=1e-6)
    peak = normalize_maps(maps.relu(), 'max')
    torch.testing.assert_close(
        peak, maps.relu() / (1e-7 + maps.relu().amax((2, 3), keepdim=True)))
    assert normalize_maps(maps, 'none') is maps
    with pytest.raises(ValueError, match='normalisation'):
        normalize_maps(maps, 'l2')

    # GradCAM(norm=...) returns each image's maps so normalised.
    model = tiny_cam_classifier()
    x = torch.randn(2, 3, 64, 48)
    raw = GradCAM(model, 'gradcam++')(x)
    normed = GradCAM(model, 'gradcam++', norm='minmax')(x)
    for b in range(2):
        reference = gradcam_forward_reference(raw[b].numpy())
        np.testing.assert_allclose(normed[b].numpy(), reference, rtol=1e-4,
                                   atol=1e-5)
    with pytest.raises(ValueError, match='normalisation'):
        GradCAM(model, 'gradcam', norm='l2')


@pytest.mark.parametrize('norm', ['minmax', 'max'])
def test_normalised_multi_scale_gradcam_equals_normalised_cam(norm):
    """GAP + linear head at the last layer: Grad-CAM = CAM / (h * w) at each
    scale. Normalised per forward pass, the multi-scale Grad-CAM equals the
    sum of the per-pass normalised CAMs, where the raw sums differ."""
    model = tiny_cam_classifier()
    images = torch.randn(2, 3, 64, 80)
    scales = (1.0, 0.5, 1.5, 2.0)

    def normalised_cam(x):
        return normalize_maps(F.relu(model.forward_cam(x)), norm)

    with torch.no_grad():
        expected = normalize_cams(
            multi_scale_cams(normalised_cam, images, scales, True, 16))
        raw_cam = normalize_cams(
            multi_scale_cams(model.forward_cam, images, scales, True, 16))
    got = normalize_cams(
        multi_scale_cams(
            GradCAM(model, 'gradcam', norm=norm), images, scales, True, 16))
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
    # Raw Grad-CAM sums each scale's CAM over its h * w: not plain CAM.
    raw_grad = normalize_cams(
        multi_scale_cams(GradCAM(model, 'gradcam'), images, scales, True, 16))
    assert (raw_grad - raw_cam).abs().max() > 1e-2

    def cam_over_area(x):
        cams = model.forward_cam(x)
        return cams / (cams.shape[-2] * cams.shape[-1])

    with torch.no_grad():
        torch.testing.assert_close(
            raw_grad,
            normalize_cams(
                multi_scale_cams(cam_over_area, images, scales, True, 16)),
            rtol=1e-4, atol=1e-5)
