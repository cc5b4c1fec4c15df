"""MS-COCO 2014 support on a tiny hand-written instances JSON."""
import json
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.runner import Runner
from mmseg.registry import DATASETS
from PIL import Image
from pycocotools import mask as mask_utils

from mmwsss.apis import load_config, make_cams
from mmwsss.cams import load_cam_file
from mmwsss.datasets import (WSSSCOCODataset, coco_semantic_mask,
                             convert_coco_masks, load_coco)
from mmwsss.utils import load_label_png
from conftest import DEMO_CONFIG, no_worker_options, run_tool, tiny_cfg_options

H, W = 30, 40


def box(x0, y0, x1, y1):
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def crowd_rle(x0, y0, x1, y1):
    m = np.zeros((H, W), np.uint8, order='F')
    m[y0:y1, x0:x1] = 1
    rle = mask_utils.encode(m)
    return dict(size=rle['size'], counts=rle['counts'].decode())


def write_split(root, split, images):
    """Images and an instances JSON of ``split`` (categories 1, 3, 18 map to
    classes 1, 2, 3)."""
    os.makedirs(osp.join(root, split), exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    rng = np.random.default_rng(0)
    data = dict(
        images=[],
        annotations=[],
        categories=[
            dict(id=18, name='dog', supercategory='animal'),
            dict(id=1, name='person', supercategory='person'),
            dict(id=3, name='car', supercategory='vehicle'),
        ])
    for img_id, anns in images.items():
        name = f'COCO_{split}_{img_id:012d}.jpg'
        Image.fromarray(rng.integers(0, 255, (H, W, 3), np.uint8)).save(
            osp.join(root, split, name))
        data['images'].append(
            dict(id=img_id, file_name=name, height=H, width=W))
        for category, segmentation, crowd in anns:
            data['annotations'].append(
                dict(id=len(data['annotations']) + 1, image_id=img_id,
                     category_id=category, segmentation=segmentation,
                     iscrowd=crowd, area=1.0, bbox=[0, 0, 1, 1]))
    path = osp.join(root, 'annotations', f'instances_{split}.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


@pytest.fixture
def coco_root(tmp_path):
    root = str(tmp_path / 'coco')
    train = {
        9: [(1, box(2, 2, 14, 20), 0), (3, box(20, 5, 36, 25), 0)],
        25: [(18, box(5, 5, 25, 25), 0), (1, crowd_rle(30, 0, 38, 10), 1)],
        30: [],
    }
    write_split(root, 'train2014', train)
    write_split(root, 'val2014', {
        42: [(3, box(1, 1, 30, 20), 0)],
        43: [(18, box(10, 10, 30, 28), 0), (1, box(0, 0, 8, 8), 0)],
    })
    return root


def test_semantic_masks_and_classes_in_category_id_order(coco_root):
    coco = load_coco(
        osp.join(coco_root, 'annotations', 'instances_train2014.json'))
    first = coco_semantic_mask(coco, 9)
    assert first.shape == (H, W) and first.dtype == np.uint8
    assert first[10, 8] == 1  # person (id 1)
    assert first[15, 28] == 2  # car (id 3)
    assert first[28, 2] == 0
    second = coco_semantic_mask(coco, 25)
    assert second[15, 15] == 3  # dog (id 18)
    assert second[5, 34] == 0  # crowd: background, as ReCAM
    assert coco_semantic_mask(coco, 25, crowd_ignore=True)[5, 34] == 255
    assert not coco_semantic_mask(coco, 30).any()


def test_convert_tool_resumes(coco_root):
    out = osp.join(coco_root, 'SegmentationClass', 'train2014')
    stdout = run_tool('convert_coco.py', coco_root, '--splits', 'train2014',
                      'val2014', '--num-workers', 1)
    assert '3 masks written' in stdout and '2 masks written' in stdout
    assert sorted(os.listdir(out)) == [
        f'COCO_train2014_{i:012d}.png' for i in (9, 25, 30)
    ]
    label = load_label_png(osp.join(out, 'COCO_train2014_000000000009.png'))
    with Image.open(osp.join(out, 'COCO_train2014_000000000009.png')) as im:
        assert im.mode == 'P'
    assert set(np.unique(label)) == {0, 1, 2}
    os.remove(osp.join(out, 'COCO_train2014_000000000025.png'))
    stdout = run_tool('convert_coco.py', coco_root, '--splits', 'train2014',
                      '--num-workers', 1)
    assert '1 masks written' in stdout


def test_dataset_labels_and_bad_input(coco_root):
    convert_coco_masks(
        osp.join(coco_root, 'annotations', 'instances_train2014.json'),
        osp.join(coco_root, 'SegmentationClass', 'train2014'))
    dataset = WSSSCOCODataset(
        data_root=coco_root, ann_file='annotations/instances_train2014.json',
        pipeline=[])
    assert dataset.metainfo['classes'] == ('background', 'person', 'car',
                                           'dog')
    # Image 30 has no annotation and is dropped; crowd labels count.
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [i['img_id'] for i in infos] == [
        'COCO_train2014_000000000009', 'COCO_train2014_000000000025'
    ]
    np.testing.assert_array_equal(infos[0]['img_labels'], [1, 1, 0])
    np.testing.assert_array_equal(infos[1]['img_labels'], [1, 0, 1])
    assert infos[0]['seg_map_path'].endswith(
        'SegmentationClass/train2014/COCO_train2014_000000000009.png')

    # The real configs read the same layout.
    for config in ('cam/cam_r50_coco.py', 'recam/recam_r50_coco.py'):
        cfg = load_config(config, data_root=coco_root)
        assert len(DATASETS.build(cfg.train_dataloader.dataset)) == 2
        assert cfg.model.cam_head.num_classes == 80
    assert cfg.model.cam_head.recam_loss_weight == 0.1
    assert cfg.train_dataloader.batch_size == 6

    os.remove(osp.join(coco_root, 'train2014',
                       'COCO_train2014_000000000025.jpg'))
    with pytest.raises(FileNotFoundError, match='lists 1 image'):
        WSSSCOCODataset(data_root=coco_root,
                        ann_file='annotations/instances_train2014.json')
    bad = osp.join(coco_root, 'annotations', 'bad.json')
    with open(bad, 'w') as f:
        f.write('{"images": [')
    with pytest.raises(ValueError, match='bad.json: the JSON does not parse'):
        load_coco(bad)


def test_cam_classifier_trains_and_writes_cams_on_coco(coco_root, tmp_path):
    """The COCO dataset plugs into the stage-1 config and make_cams."""
    for split in ('train2014', 'val2014'):
        convert_coco_masks(
            osp.join(coco_root, 'annotations', f'instances_{split}.json'),
            osp.join(coco_root, 'SegmentationClass', split))
    options = tiny_cfg_options(max_epochs=1)
    options.update(no_worker_options())
    cfg = load_config(DEMO_CONFIG, options, work_dir=str(tmp_path / 'w'))
    for loader, split in (('train_dataloader', 'train2014'),
                          ('val_dataloader', 'val2014'),
                          ('test_dataloader', 'val2014')):
        dataset = cfg[loader].dataset
        dataset.type = 'WSSSCOCODataset'
        dataset.data_root = coco_root
        dataset.update(WSSSCOCODataset.split_settings(split))
        dataset.pop('require_foreground', None)
    cfg.train_dataloader.batch_size = 2
    cfg.dump(str(tmp_path / 'coco_tiny.py'))
    Runner.from_cfg(cfg).train()
    written = make_cams(
        str(tmp_path / 'coco_tiny.py'), str(tmp_path / 'w' / 'epoch_1.pth'),
        str(tmp_path / 'cams'), split='val2014', scales=(1.0, ),
        num_workers=0, device='cpu', progress=False)
    assert written == 2
    cam = load_cam_file(
        str(tmp_path / 'cams' / 'COCO_val2014_000000000043.npy'), 3, (H, W))
    np.testing.assert_array_equal(cam['keys'], [0, 2])  # person, dog

    # Pseudo labels for a COCO split, evaluated on its converted masks.
    label_dir = tmp_path / 'pseudo' / 'val2014'
    stdout = run_tool('make_pseudo_labels.py', '--config',
                      tmp_path / 'coco_tiny.py', '--cam-dir',
                      tmp_path / 'cams', '--data-root', coco_root,
                      '--split', 'val2014', '--out-dir', label_dir,
                      '--num-workers', 1)
    assert '2 pseudo labels written' in stdout and 'dog' in stdout
    assert osp.isfile(label_dir / 'pseudo_eval_val2014.json')

    # The segmentation stage reads them and checks each one's size.
    seg_set = dict(
        data_root=coco_root, ann_file='annotations/instances_val2014.json',
        data_prefix=dict(img_path='val2014', seg_map_path=str(label_dir)),
        require_seg_maps=True)
    assert len(WSSSCOCODataset(**seg_set)) == 2
    Image.new('P', (W, H + 1)).save(
        label_dir / 'COCO_val2014_000000000042.png')
    with pytest.raises(ValueError, match='000042.png: label is 40x31 but '
                       'the image is 40x30'):
        WSSSCOCODataset(**seg_set)
    os.remove(label_dir / 'COCO_val2014_000000000042.png')
    with pytest.raises(FileNotFoundError, match='1 of 2 label PNGs'):
        WSSSCOCODataset(**seg_set)
