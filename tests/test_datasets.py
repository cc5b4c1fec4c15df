import os.path as osp

import numpy as np
import pytest
from mmengine.dataset import Compose
from mmseg.registry import DATASETS

from mmwsss.datasets import (VOC_CLASSES, WSSSVOCDataset, labels_from_xml,
                             load_cls_labels, render_demo_image)
from mmwsss.utils import load_label_png

XML = """<annotation>
  <filename>{id}.jpg</filename>
  <object><name>dog</name><part><name>head</name></part></object>
  <object><name>sofa</name></object>
  <object><name>dog</name></object>
</annotation>"""


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)


def test_labels_from_xml_reads_objects_not_parts(tmp_path):
    path = str(tmp_path / 'a.xml')
    write(path, XML.format(id='a'))
    labels = labels_from_xml(path, VOC_CLASSES)
    assert labels.dtype == np.float32
    assert np.flatnonzero(labels).tolist() == [
        VOC_CLASSES.index('dog'), VOC_CLASSES.index('sofa')
    ]


def test_labels_from_xml_unknown_class_names_file(tmp_path):
    path = str(tmp_path / 'b.xml')
    write(path, XML.format(id='b'))
    with pytest.raises(ValueError, match=r"b\.xml.*'sofa' is not one of"):
        labels_from_xml(path, ('dog', 'cat'))


def test_labels_from_xml_bad_xml(tmp_path):
    path = str(tmp_path / 'c.xml')
    write(path, '<annotation><object>')
    with pytest.raises(ValueError, match=r'c\.xml.*does not parse'):
        labels_from_xml(path, VOC_CLASSES)


def test_cls_labels_npy_string_and_irn_int_keys(tmp_path):
    path = str(tmp_path / 'cls_labels.npy')
    one_hot = np.eye(20, dtype=np.float32)
    np.save(path, {'2007_000032': one_hot[0], 2008000123: one_hot[5]})
    labels = load_cls_labels(path, ['2007_000032', '2008_000123'], 20)
    assert labels['2007_000032'].argmax() == 0
    assert labels['2008_000123'].argmax() == 5


def test_cls_labels_npy_errors(tmp_path):
    path = str(tmp_path / 'cls_labels.npy')
    np.save(path, {'a': np.ones(3)})
    with pytest.raises(ValueError, match="labels of 'a' have 3 entries"):
        load_cls_labels(path, ['a'], 20)
    with pytest.raises(ValueError, match=r"disagrees with the split: no "
                       r"labels for 2 of its 3 ids: \['b', 'c'\]"):
        load_cls_labels(path, ['a', 'b', 'c'], 3)


def test_dataset_reads_xml_labels_classes_and_masks(tiny_data):
    dataset = WSSSVOCDataset(
        data_root=tiny_data, ann_file='ImageSets/Segmentation/train.txt')
    assert dataset.metainfo['classes'] == ('background', 'beetle', 'fish',
                                           'bird')
    assert len(dataset.metainfo['palette']) == 4
    assert len(dataset) == 24
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        mask = load_label_png(info['seg_map_path'])
        present = set(np.unique(mask)) - {0, 255}
        # Labels come from the XML, which lists every object in the mask.
        assert set(np.flatnonzero(info['img_labels']) + 1) >= present
        assert info['img_labels'].sum() >= 1


def test_dataset_without_masks_still_loads(tiny_data, tmp_path):
    dataset = WSSSVOCDataset(
        data_root=tiny_data,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=dict(
            img_path='JPEGImages',
            seg_map_path=str(tmp_path / 'no_masks'),
            xml_path='Annotations'))
    assert dataset.get_data_info(0)['seg_map_path'] is None


def test_dataset_npy_labels_match_xml(tiny_data, tmp_path):
    xml_set = WSSSVOCDataset(
        data_root=tiny_data, ann_file='ImageSets/Segmentation/val.txt')
    table = {
        xml_set.get_data_info(i)['img_id']:
        xml_set.get_data_info(i)['img_labels']
        for i in range(len(xml_set))
    }
    npy = str(tmp_path / 'cls_labels.npy')
    np.save(npy, table)
    npy_set = WSSSVOCDataset(
        data_root=tiny_data,
        ann_file='ImageSets/Segmentation/val.txt',
        label_source='npy',
        cls_labels_file=npy)
    for i in range(len(npy_set)):
        np.testing.assert_array_equal(
            npy_set.get_data_info(i)['img_labels'],
            xml_set.get_data_info(i)['img_labels'])


def test_metainfo_classes_override_and_voc_default(tiny_data, tmp_path):
    dataset = WSSSVOCDataset(
        data_root=tiny_data,
        ann_file='ImageSets/Segmentation/val.txt',
        metainfo=dict(classes=('background', 'beetle', 'fish', 'bird',
                               'frog')))
    assert dataset.get_data_info(0)['img_labels'].shape == (4, )
    with pytest.raises(ValueError, match='must start with .background.'):
        WSSSVOCDataset(
            data_root=tiny_data,
            ann_file='ImageSets/Segmentation/val.txt',
            metainfo=dict(classes=('beetle', 'fish')))
    # No classes.txt: the 20 VOC classes, and demo names are then unknown.
    with pytest.raises(ValueError, match="'beetle'|'fish'|'bird'"):
        WSSSVOCDataset(
            data_root=tiny_data,
            ann_file='ImageSets/Segmentation/val.txt',
            classes_file='missing.txt')


def test_missing_split_file_is_named(tiny_data):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        WSSSVOCDataset(
            data_root=tiny_data, ann_file='ImageSets/Segmentation/nope.txt')


def test_labels_survive_resize_crop_flip(tiny_data):
    dataset = DATASETS.build(
        dict(
            type='WSSSVOCDataset',
            data_root=tiny_data,
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=[
                dict(type='LoadImageFromFile'),
                dict(
                    type='RandomResize',
                    scale=(128, 128),
                    ratio_range=(0.5, 2.0),
                    keep_ratio=True),
                dict(type='RandomCrop', crop_size=(64, 64)),
                dict(type='RandomFlip', prob=1.0),
                dict(type='PackWSSSInputs'),
            ]))
    for index in range(4):
        packed = dataset[index]
        expected = dataset.get_data_info(index)['img_labels']
        sample = packed['data_samples']
        assert sample.metainfo['flip'] is True
        assert tuple(packed['inputs'].shape[-2:]) == (64, 64)
        np.testing.assert_array_equal(sample.gt_img_labels.numpy(), expected)
        assert sample.metainfo['img_id'] == dataset.get_data_info(
            index)['img_id']


def test_pack_without_labels_is_a_clear_error():
    pipeline = Compose([dict(type='PackWSSSInputs')])
    with pytest.raises(KeyError, match="no 'img_labels'"):
        pipeline(dict(img=np.zeros((4, 4, 3), np.uint8), img_path='x.jpg'))


def test_demo_images_are_deterministic_and_voc_like():
    image_a, label_a, boxes_a = render_demo_image(7)
    image_b, label_b, boxes_b = render_demo_image(7)
    np.testing.assert_array_equal(image_a, image_b)
    np.testing.assert_array_equal(label_a, label_b)
    assert boxes_a == boxes_b
    assert set(np.unique(label_a)) <= {0, 1, 2, 3, 4, 5, 255}
    assert (label_a == 255).any(), 'object edges are marked 255 as in VOC'


def test_demo_dataset_layout(tiny_data):
    for sub in ('JPEGImages', 'SegmentationClass', 'Annotations'):
        assert osp.isdir(osp.join(tiny_data, sub))
    from PIL import Image
    with Image.open(osp.join(tiny_data, 'SegmentationClass',
                             'train_00000.png')) as png:
        assert png.mode == 'P'
        assert png.getpalette()[3:6] == [128, 0, 0]
