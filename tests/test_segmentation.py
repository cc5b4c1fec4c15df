import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import DATASETS, MODELS
from mmseg.structures import SegDataSample

from mmwsss.utils import load_label_png, save_palette_png


def copy_masks_as_pseudo_labels(tiny_data, out, split='train'):
    os.makedirs(out, exist_ok=True)
    with open(osp.join(tiny_data, 'ImageSets/Segmentation',
                       split + '.txt')) as f:
        ids = f.read().split()
    for img_id in ids:
        shutil.copy(
            osp.join(tiny_data, 'SegmentationClass', img_id + '.png'), out)
    return ids


def build(tiny_data, label_dir):
    return DATASETS.build(
        dict(
            type='PseudoLabelDataset',
            data_root=tiny_data,
            ann_file='ImageSets/Segmentation/val.txt',
            pseudo_label_dir=label_dir,
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadAnnotations'),
                dict(type='PackWSSSInputs')
            ]))


def test_pseudo_label_dataset_serves_labels_and_image_labels(
        tiny_data, tmp_path):
    label_dir = str(tmp_path / 'pseudo')
    ids = copy_masks_as_pseudo_labels(tiny_data, label_dir, 'val')
    # Make the pseudo label differ from the true mask to see which is read.
    label = load_label_png(osp.join(label_dir, ids[0] + '.png'))
    save_palette_png(np.full_like(label, 1), osp.join(label_dir,
                                                      ids[0] + '.png'))
    dataset = build(tiny_data, label_dir)
    sample = dataset[0]['data_samples']
    assert sample.gt_sem_seg.data.unique().tolist() == [1]
    assert sample.gt_img_labels.shape == (3, )


def test_pseudo_label_dataset_errors_before_training(tiny_data, tmp_path):
    label_dir = str(tmp_path / 'pseudo')
    ids = copy_masks_as_pseudo_labels(tiny_data, label_dir, 'val')
    os.remove(osp.join(label_dir, ids[3] + '.png'))
    with pytest.raises(FileNotFoundError,
                       match=rf'1 of 8 pseudo labels .*{ids[3]}\.png'):
        build(tiny_data, label_dir)
    save_palette_png(np.zeros((10, 12), np.uint8),
                     osp.join(label_dir, ids[3] + '.png'))
    with pytest.raises(ValueError,
                       match=rf'{ids[3]}\.png: pseudo label is 12x10 but'):
        build(tiny_data, label_dir)


def enc_head():
    return MODELS.build(
        dict(
            type='ImageLabelEncHead',
            in_channels=[8, 8, 8],
            in_index=(0, 1, 2),
            channels=8,
            num_codes=4,
            num_classes=4,
            use_se_loss=True,
            add_lateral=False,
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0),
            loss_se_decode=dict(
                type='CrossEntropyLoss', use_sigmoid=True,
                loss_weight=0.2)))


def test_se_targets_come_from_image_labels():
    head = enc_head()
    seg = torch.zeros(2, 1, 6, 6, dtype=torch.long)
    seg[0, 0, :3] = 1  # the map says class 1 ...
    seg[1, 0, :3] = 2
    samples = []
    for i in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=seg[i])
        samples.append(s)
    samples[0].gt_img_labels = torch.tensor([0., 0., 1.])  # ... labels: 3
    targets = head.se_targets(seg.squeeze(1), samples)
    # Background from the map; class 1 is in the map but not in the image
    # labels, class 3 in the image labels but not in the map (crop-aware
    # targets): neither is a target. The sample without image labels falls
    # back to the map.
    assert targets.tolist() == [[1, 0, 0, 0], [1, 0, 1, 0]]
    feats = [torch.randn(2, 8, 6, 6) for _ in range(3)]
    losses = head.loss(feats, samples, train_cfg={})
    assert set(losses) >= {'loss_ce', 'loss_se'}
    seg_logits, se_logits = head(feats)
    expected = 0.2 * torch.nn.functional.binary_cross_entropy_with_logits(
        se_logits, targets.float())
    torch.testing.assert_close(losses['loss_se'], expected)


def test_se_targets_reject_wrong_label_width():
    head = enc_head()
    s = SegDataSample()
    s.gt_img_labels = torch.tensor([1., 0.])
    with pytest.raises(ValueError, match='num_classes=4'):
        head.se_targets(torch.zeros(1, 4, 4, dtype=torch.long), [s])


def test_se_targets_drop_labelled_classes_the_crop_cut_away():
    """A random crop keeps the image-level labels of the whole image; a
    labelled class the crop removed is not an SE target."""
    # Pseudo label of the whole image: class 1 on the left, background in
    # column 4, class 2 on the right, and a noisy class-3 pixel that the
    # image-level labels (classes 1 and 2) do not name.
    full = torch.zeros(8, 8, dtype=torch.long)
    full[:, :4] = 1
    full[:, 5:] = 2
    full[7, 0] = 3
    # The crop keeps columns 0-4 (class 2 is cut away); the data
    # preprocessor pads it back to the batch size with 255.
    crop = torch.full((8, 8), 255, dtype=torch.long)
    crop[:, :5] = full[:, :5]
    sample = SegDataSample()
    sample.gt_sem_seg = PixelData(data=crop[None])
    sample.gt_img_labels = torch.tensor([1., 1., 0.])
    head = enc_head()
    targets = head.se_targets(crop[None], [sample])
    # background present; class 1 labelled and present; class 2 labelled
    # but cut away; class 3 present but not labelled.
    assert targets.tolist() == [[1, 1, 0, 0]]
    # Without the crop, class 2 is a target again.
    uncropped = head.se_targets(full[None], [sample])
    assert uncropped.tolist() == [[1, 1, 1, 0]]


def test_crop_aware_se_loss_end_to_end():
    torch.manual_seed(0)
    head = enc_head()
    crop = torch.full((2, 6, 6), 255, dtype=torch.long)
    crop[0, :, :3] = 1  # class 2 of the image labels was cut away
    crop[0, 5, 5] = 0
    crop[1] = 3  # only class 3 left; class 1 labelled, absent
    labels = [torch.tensor([1., 1., 0.]), torch.tensor([1., 0., 1.])]
    samples = []
    for i in range(2):
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=crop[i][None])
        s.gt_img_labels = labels[i]
        samples.append(s)
    feats = [torch.randn(2, 8, 6, 6) for _ in range(3)]
    losses = head.loss(feats, samples, train_cfg={})
    _, se_logits = head(feats)
    expected_targets = torch.tensor([[1., 1., 0., 0.], [0., 0., 0., 1.]])
    expected = 0.2 * torch.nn.functional.binary_cross_entropy_with_logits(
        se_logits, expected_targets)
    torch.testing.assert_close(losses['loss_se'], expected)
    assert torch.isfinite(losses['loss_ce'])
