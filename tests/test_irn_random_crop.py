"""IRNRandomCrop against IRN's ``misc/imutils.py`` ``random_crop``."""
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmseg.datasets.transforms import PackSegInputs
from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import TRANSFORMS

from mmwsss.datasets.transforms import IRNRandomCrop
from mmwsss.utils.errors import InputValueError
from conftest import REPO_ROOT

IRN_VOC = osp.join(REPO_ROOT, 'configs', 'irn', 'irn_r50_voc.py')
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]

# --- The official crop, re-typed from jiwoon-ahn/irn misc/imutils.py --------


def get_random_crop_box(imgsize, cropsize):
    h, w = imgsize

    ch = min(cropsize, h)
    cw = min(cropsize, w)

    w_space = w - cropsize
    h_space = h - cropsize

    if w_space > 0:
        cont_left = 0
        img_left = random.randrange(w_space + 1)
    else:
        cont_left = random.randrange(-w_space + 1)
        img_left = 0

    if h_space > 0:
        cont_top = 0
        img_top = random.randrange(h_space + 1)
    else:
        cont_top = random.randrange(-h_space + 1)
        img_top = 0

    return (cont_top, cont_top + ch, cont_left, cont_left + cw, img_top,
            img_top + ch, img_left, img_left + cw)


def random_crop(images, cropsize, default_values):

    if isinstance(images, np.ndarray):
        images = (images, )
    if isinstance(default_values, int):
        default_values = (default_values, )

    imgsize = images[0].shape[:2]
    box = get_random_crop_box(imgsize, cropsize)

    new_images = []
    for img, f in zip(images, default_values):

        if len(img.shape) == 3:
            cont = np.ones((cropsize, cropsize, img.shape[2]), img.dtype) * f
        else:
            cont = np.ones((cropsize, cropsize), img.dtype) * f
        cont[box[0]:box[1], box[2]:box[3]] = img[box[4]:box[5], box[6]:box[7]]
        new_images.append(cont)

    if len(new_images) == 1:
        new_images = new_images[0]

    return new_images


# --- Helpers -----------------------------------------------------------------


def preprocessor(size):
    """The IRN configs' data preprocessor."""
    return SegDataPreProcessor(
        mean=MEAN,
        std=STD,
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=size)


def normalise_rgb(bgr):
    """``[H, W, 3]`` BGR uint8 to the normalised RGB float32 image IRN
    crops (the preprocessor's arithmetic, so that values are comparable
    bit for bit)."""
    rgb = torch.from_numpy(np.ascontiguousarray(bgr[..., ::-1])).float()
    mean, std = torch.tensor(MEAN), torch.tensor(STD)
    return ((rgb - mean) / std).numpy()


def through_preprocessor(results, size):
    """The transform's output as the network sees it in training."""
    packed = PackSegInputs()(results)
    data = preprocessor(size)(
        dict(inputs=[packed['inputs']],
             data_samples=[packed['data_samples']]),
        training=True)
    image = data['inputs'][0].permute(1, 2, 0).numpy()
    label = data['data_samples'][0].gt_sem_seg.data[0].numpy()
    return image, label


SIZES = [
    (5, 6),  # smaller than the crop in both axes
    (13, 11),  # larger in both
    (5, 12),  # smaller in height, larger in width
    (12, 5),  # larger in height, smaller in width
    (8, 8),  # equal
    (8, 3),  # equal in height, smaller in width
]


@pytest.mark.parametrize('size', SIZES)
def test_random_crop_equals_official(size):
    crop = 8
    rng = np.random.default_rng(sum(size))
    transform = TRANSFORMS.build(
        dict(
            type='IRNRandomCrop',
            crop_size=crop,
            img_pad_val=MEAN[::-1],
            seg_pad_val=255))
    placements = set()
    for seed in range(8):
        bgr = rng.integers(0, 256, size + (3, )).astype(np.uint8)
        label = rng.integers(0, 21, size).astype(np.uint8)
        label[rng.random(size) < 0.2] = 255

        random.seed(seed)
        expected_img, expected_label = random_crop(
            (normalise_rgb(bgr), label), crop, (0, 255))
        random.seed(seed)
        box = get_random_crop_box(size, crop)
        placements.add(box[0:8:2])

        random.seed(seed)
        results = transform(
            dict(
                img=bgr.copy(),
                gt_seg_map=label.copy(),
                seg_fields=['gt_seg_map'],
                img_shape=size,
                ori_shape=size))
        assert results['img'].shape == (crop, crop, 3)
        assert results['img'].dtype == np.float32
        assert results['gt_seg_map'].shape == (crop, crop)
        assert results['gt_seg_map'].dtype == np.uint8
        assert results['img_shape'] == (crop, crop)
        np.testing.assert_array_equal(results['gt_seg_map'], expected_label)
        image, packed_label = through_preprocessor(results, (crop, crop))
        np.testing.assert_array_equal(image, expected_img)
        np.testing.assert_array_equal(packed_label, expected_label)
    if size != (8, 8):
        # The offsets are random: a fixed (top-left) placement would fail
        # the comparison above for some seed.
        assert len(placements) > 1


def test_small_image_is_not_at_the_top_left():
    random.seed(3)
    transform = IRNRandomCrop(crop_size=(6, 9), img_pad_val=(1., 2., 3.))
    img = np.full((2, 4, 3), 200, np.uint8)
    label = np.zeros((2, 4), np.uint8)
    seen = set()
    for _ in range(20):
        out = transform(
            dict(img=img, gt_seg_map=label, seg_fields=['gt_seg_map']))
        assert out['img'].shape == (6, 9, 3)
        assert out['img_shape'] == (6, 9)
        inside = out['gt_seg_map'] == 0
        assert inside.sum() == 8
        np.testing.assert_array_equal(out['img'][inside],
                                      np.full((8, 3), 200.))
        np.testing.assert_array_equal(out['img'][~inside],
                                      np.tile([1., 2., 3.], (54 - 8, 1)))
        rows, cols = np.nonzero(inside)
        seen.add((rows.min(), cols.min()))
    assert len(seen) > 1 and seen != {(0, 0)}


def test_builds_from_the_irn_config():
    cfg = Config.fromfile(IRN_VOC)
    crops = [t for t in cfg.train_pipeline if t.type == 'IRNRandomCrop']
    assert len(crops) == 1
    assert not any(t.type == 'RandomCrop' for t in cfg.train_pipeline)
    transform = TRANSFORMS.build(crops[0])
    assert isinstance(transform, IRNRandomCrop)
    assert transform.crop_size == (512, 512)
    assert transform.seg_pad_val == 255
    # The fill is the preprocessor's mean in the loaded (BGR) order, so that
    # it normalises to IRN's 0.
    pre = cfg.model.data_preprocessor
    assert pre.bgr_to_rgb
    assert transform.img_pad_val == tuple(pre.mean[::-1])
    assert pre.seg_pad_val == transform.seg_pad_val
    pipeline = Compose(cfg.train_pipeline)
    assert any(isinstance(t, IRNRandomCrop) for t in pipeline.transforms)


@pytest.mark.parametrize('kwargs,match', [
    (dict(crop_size=0), 'crop_size'),
    (dict(crop_size=(8, 8, 8)), 'crop_size'),
    (dict(crop_size=8, img_pad_val='mean'), 'img_pad_val'),
    (dict(crop_size=8, img_pad_val=()), 'img_pad_val'),
    (dict(crop_size=8, seg_pad_val=2.5), 'seg_pad_val'),
])
def test_rejects_bad_settings(kwargs, match):
    with pytest.raises(InputValueError, match=match):
        IRNRandomCrop(**kwargs)


def test_rejects_fill_of_other_channel_count():
    transform = IRNRandomCrop(crop_size=4, img_pad_val=(1., 2.))
    with pytest.raises(InputValueError, match='img_pad_val'):
        transform(dict(img=np.zeros((3, 3, 3), np.uint8)))
