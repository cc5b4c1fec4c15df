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
from mmwsss.cams import load_cam_file, save_cam_file
from mmwsss.datasets import (WSSSCOCODataset, WSSSVOCDataset,
                             build_split_dataset, coco_image_labels,
                             coco_semantic_mask, convert_coco_masks,
                             dataset_type_of, load_coco, split_files)
from mmwsss.evaluation import evaluate_seeds
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


def convert_all(coco_root):
    for split in ('train2014', 'val2014'):
        convert_coco_masks(
            osp.join(coco_root, 'annotations', f'instances_{split}.json'),
            osp.join(coco_root, 'SegmentationClass', split))


def dump_coco_config(coco_root, path, work_dir=None):
    """The tiny demo config with COCO datasets on ``coco_root``, as a file
    for the tools."""
    options = tiny_cfg_options(max_epochs=1)
    options.update(no_worker_options())
    cfg = load_config(DEMO_CONFIG, options, work_dir=work_dir)
    for loader, split in (('train_dataloader', 'train2014'),
                          ('val_dataloader', 'val2014'),
                          ('test_dataloader', 'val2014')):
        dataset = cfg[loader].dataset
        dataset.type = 'WSSSCOCODataset'
        dataset.data_root = coco_root
        dataset.update(WSSSCOCODataset.split_settings(split))
        dataset.pop('require_foreground', None)
    cfg.train_dataloader.batch_size = 2
    cfg.dump(str(path))
    return cfg


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
    convert_all(coco_root)
    cfg = dump_coco_config(coco_root, tmp_path / 'coco_tiny.py',
                           work_dir=str(tmp_path / 'w'))
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


def test_layout_lookups_match_the_dataset(coco_root, tiny_data):
    """Without building a dataset, the layout gives a split's ids, images,
    masks and classes as the dataset built on the split has them."""
    convert_all(coco_root)
    assert dataset_type_of(coco_root) is WSSSCOCODataset
    assert dataset_type_of(tiny_data) is WSSSVOCDataset
    for split in ('train2014', 'val2014'):
        dataset = WSSSCOCODataset(
            data_root=coco_root, pipeline=[],
            **WSSSCOCODataset.split_settings(split))
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        ids = WSSSCOCODataset.split_ids(coco_root, split)
        assert ids == [info['img_id'] for info in infos]
        assert WSSSCOCODataset.split_images(coco_root, split) == {
            info['img_id']: info['img_path']
            for info in infos
        }
        for info in infos:
            assert WSSSCOCODataset.true_mask_path(
                coco_root, split, info['img_id']) == info['seg_map_path']
        assert WSSSCOCODataset.class_names(coco_root, split) == \
            dataset.metainfo['classes']
    # Image 30 has no annotation: not in the split, but it has a path.
    assert 'COCO_train2014_000000000030' not in ids
    assert WSSSCOCODataset.image_path(
        coco_root, 'train2014', 'COCO_train2014_000000000030') == osp.join(
            coco_root, 'train2014', 'COCO_train2014_000000000030.jpg')
    with pytest.raises(KeyError, match='not an image of'):
        WSSSCOCODataset.image_path(coco_root, 'val2014',
                                   'COCO_train2014_000000000030')
    with pytest.raises(ValueError, match='name the split'):
        WSSSCOCODataset.split_ids(coco_root, None)
    with pytest.raises(FileNotFoundError,
                       match=r"not in COCO layout: missing \['test2014'"):
        WSSSCOCODataset.check_layout(coco_root, ['val2014', 'test2014'])
    assert WSSSCOCODataset.class_names(coco_root) == (
        'background', 'person', 'car', 'dog')

    # In VOC layout: the same against WSSSVOCDataset.
    dataset = WSSSVOCDataset(
        data_root=tiny_data, pipeline=[],
        **WSSSVOCDataset.split_settings('val'))
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert WSSSVOCDataset.split_images(tiny_data, 'val') == {
        info['img_id']: info['img_path']
        for info in infos
    }
    for info in infos:
        assert WSSSVOCDataset.true_mask_path(
            tiny_data, 'val', info['img_id']) == info['seg_map_path']
    assert WSSSVOCDataset.class_names(tiny_data) == \
        dataset.metainfo['classes']


def without(result, *keys):
    return {k: v for k, v in result.items() if k not in keys}


def read_json(path):
    with open(path) as f:
        return json.load(f)


def test_tools_without_config_read_the_coco_layout(coco_root, tmp_path):
    """eval_cams, make_pseudo_labels and visualize find a COCO split's
    images, masks and classes from the data root alone, with the results
    that the config's COCO dataset gives."""
    convert_all(coco_root)
    config = tmp_path / 'coco_tiny.py'
    dump_coco_config(coco_root, config)
    cam_dir = tmp_path / 'cams'
    rng = np.random.default_rng(0)
    for split in ('train2014', 'val2014'):
        coco = load_coco(
            osp.join(coco_root, 'annotations', f'instances_{split}.json'))
        for coco_id, labels in coco_image_labels(coco).items():
            stem = osp.splitext(coco.imgs[coco_id]['file_name'])[0]
            keys = np.flatnonzero(labels)
            cams = rng.random((len(keys), H // 5, W // 5)).astype(np.float32)
            cams = np.kron(cams, np.ones((5, 5), np.float32))
            save_cam_file(str(cam_dir / f'{stem}.npy'), keys, cams)

    # The seed sweep equals evaluate_seeds over the config's dataset.
    stdout = run_tool('eval_cams.py', '--cam-dir', cam_dir, '--data-root',
                      coco_root, '--split', 'val2014')
    assert 'Seed mIoU' in stdout and 'dog' in stdout
    swept = read_json(cam_dir / 'seed_eval_val2014.json')
    dataset = build_split_dataset(load_config(str(config)), 'val2014',
                                  coco_root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    reference = evaluate_seeds(
        str(cam_dir), coco_root, 'val2014',
        seg_map_dir=dataset.data_prefix['seg_map_path'],
        class_names=dataset.metainfo['classes'], progress=False,
        ids=[info['img_id'] for info in infos])
    # Written inside the folder: its own path relative, its fingerprint.
    assert swept.pop('cam_dir') == '.' and 'folder_fingerprint' in swept
    reference.pop('cam_dir')
    assert swept == dict(json.loads(json.dumps(reference)),
                         folder_fingerprint=None)
    assert swept['class_names'] == ['background', 'person', 'car', 'dog']
    assert swept['num_images'] == 2
    assert split_files(coco_root, 'val2014') == split_files(
        coco_root, 'val2014', load_config(str(config)))

    # Pseudo labels (through the CRF, which reads the images) and their
    # evaluation, on the split and on another one.
    runs = {}
    for name, extra in (('plain', ()), ('config', ('--config', config))):
        # One folder per split: a folder's manifest names its split.
        for split in ('val2014', 'train2014'):
            stdout = run_tool('make_pseudo_labels.py', '--cam-dir', cam_dir,
                              '--data-root', coco_root, '--split', split,
                              '--out-dir', tmp_path / name / split, '--crf',
                              '--crf-iterations', 2, '--num-workers', 1,
                              *extra)
            assert 'pseudo labels written' in stdout
            assert 'seed_eval_val2014.json' in stdout  # threshold source
        runs[name] = tmp_path / name / 'val2014'
    labels = {
        name: {
            f: load_label_png(str(tmp_path / name / split / f))
            for split in ('train2014', 'val2014')
            for f in sorted(os.listdir(tmp_path / name / split))
            if f.endswith('.png')
        }
        for name in runs
    }
    assert list(labels['plain']) == [
        f'COCO_train2014_{i:012d}.png' for i in (9, 25)
    ] + [f'COCO_val2014_{i:012d}.png' for i in (42, 43)]
    assert labels['plain'].keys() == labels['config'].keys()
    for name, label in labels['plain'].items():
        assert label.shape == (H, W)
        np.testing.assert_array_equal(label, labels['config'][name])
    evaluations = [
        without(read_json(out_dir / 'pseudo_eval_val2014.json'),
                'label_dir') for out_dir in runs.values()
    ]
    assert evaluations[0] == evaluations[1]
    assert evaluations[0]['num_images'] == 2
    assert list(evaluations[0]['per_class']) == [
        'background', 'person', 'car', 'dog'
    ]

    # Figures of the split's images and masks.
    for what, source, columns in (('cams', ('--cam-dir', cam_dir), 3),
                                  ('labels',
                                   ('--label-dir', runs['plain']), 3)):
        out = tmp_path / f'{what}.png'
        run_tool('visualize.py', what, *source, '--data-root', coco_root,
                 '--split', 'val2014', '--tile', 32, '--out', out)
        with Image.open(out) as grid:
            assert grid.size == (columns * 32, 2 * (32 + 20))


def tiny_coco_preset_options():
    """The 'coco' preset's CAM classifier (cam/cam_r50_coco.py) shrunk as
    the demo's is by ``tiny_cfg_options``: a narrow ResNet-18 from scratch,
    64-pixel crops, one epoch."""
    options = {
        'model.backbone.depth': 18,
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.backbone.init_cfg': None,
        'model.cam_head.in_channels': 64,
        'model.data_preprocessor.size': (64, 64),
        'model.test_cfg.scales': (1.0, 0.5),
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.pipeline.1.scale': (64, 64),
        'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'default_hooks.logger.interval': 1,
    }
    options.update(no_worker_options())
    return options


def tiny_coco_seg_options():
    """The 'coco' preset's DeepLab-v2 shrunk to four iterations of a narrow
    ResNet-18, as the VOC pipeline test shrinks its segmentor."""
    options = {
        'model.backbone.depth': 18,
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.backbone.init_cfg': None,
        'model.decode_head.in_channels': 64,
        'model.data_preprocessor.size': (64, 64),
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.pipeline.3.crop_size': (64, 64),
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 4,
        'default_hooks.checkpoint.interval': 4,
        'default_hooks.logger.interval': 1,
    }
    options.update(no_worker_options())
    return options


def test_whole_pipeline_on_the_coco_preset_and_rerun_skips(coco_root,
                                                           tmp_path):
    """run_pipeline with the 'coco' preset and its configs, shrunk: CAM
    seeds of train2014, their CRF labels (the preset has no IRN config),
    DeepLab-v2 trained on them and on the true masks, tested on val2014,
    and the figures; a rerun skips every stage."""
    from mmwsss.pipeline import format_summary, run_pipeline
    convert_all(coco_root)
    work = str(tmp_path / 'whole')
    kwargs = dict(
        method='cam',
        preset='coco',
        full_supervision=True,
        cfg_options=tiny_coco_preset_options(),
        seg_cfg_options=tiny_coco_seg_options(),
        num_workers=1)
    with pytest.raises(ValueError, match="refine 'irn' has no 'coco' config"):
        run_pipeline(coco_root, work, refine='irn', **kwargs)
    assert not osp.exists(work)

    summary = run_pipeline(coco_root, work, **kwargs)
    assert summary['refine'] == 'crf'
    for key in ('seed_miou', 'seed_threshold', 'pseudo_miou', 'final_miou',
                'full_supervision_miou', 'cam_dir', 'pseudo_label_dir'):
        assert summary[key] is not None, key
    assert set(summary['stage_seconds']) == {
        'cam/train', 'cam/cams', 'cam/seeds', 'crf_labels', 'crf_eval',
        'segmentation', 'full_supervision', 'figures'
    }
    # The annotated train2014 images, by file stem.
    train_ids = [f'COCO_train2014_{i:012d}' for i in (9, 25)]
    assert sorted(os.listdir(summary['cam_dir'])) == [
        f'{i}.npy' for i in train_ids
    ] + ['manifest.json', 'seed_eval_train2014.json']
    assert sorted(os.listdir(summary['pseudo_label_dir'])) == [
        f'{i}.png' for i in train_ids
    ] + ['manifest.json', 'pseudo_eval_train2014.json']
    seeds = read_json(
        osp.join(work, 'cam', 'cams', 'seed_eval_train2014.json'))
    assert seeds['class_names'] == ['background', 'person', 'car', 'dog']
    # The segmentors trained on the split's COCO dataset: pseudo labels,
    # then the converted masks.
    for stage, seg_maps in (('segmentation', summary['pseudo_label_dir']),
                            ('full_supervision',
                             'SegmentationClass/train2014')):
        cfg = load_config(osp.join(work, stage, f'{stage}_config.py'))
        train_set = cfg.train_dataloader.dataset
        assert train_set.type == 'WSSSCOCODataset'
        assert train_set.ann_file == 'annotations/instances_train2014.json'
        assert train_set.data_prefix == dict(
            img_path='train2014', seg_map_path=seg_maps)
        assert cfg.model.decode_head.num_classes == 4
    assert 'final mIoU' in format_summary(summary)
    # Figures of two images a row (the split's two annotated images).
    assert set(summary['figures']) == {'cams', 'pseudo_labels', 'predictions'}
    for name, path in summary['figures'].items():
        with Image.open(path) as grid:
            assert grid.size[1] == 2 * (192 + 20), name

    outputs = [
        osp.join(summary['pseudo_label_dir'], name)
        for name in os.listdir(summary['pseudo_label_dir'])
    ] + list(summary['figures'].values())
    stamps = {path: os.stat(path).st_mtime_ns for path in outputs}
    again = run_pipeline(coco_root, work, **kwargs)
    assert again['stage_seconds'] == summary['stage_seconds']
    assert again['final_miou'] == summary['final_miou']
    assert stamps == {path: os.stat(path).st_mtime_ns for path in outputs}
