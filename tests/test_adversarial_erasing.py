"""Adversarial erasing (Wei et al., CVPR 2017). No official code was
released: the mining, erasing and merging are checked against a literal
transcription of the paper's procedure (Sec. 3.1 and 4.1)."""
import collections
import functools
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmseg.registry import MODELS, TRANSFORMS
from PIL import Image

import mmwsss.cams.erasing as ae
import mmwsss.pipeline.record as stages
import mmwsss.pipeline.stages.erased_cams as erased_cams
import mmwsss.pipeline.stages.seed_evaluation as seed_evaluation
import mmwsss.pipeline.training as training
from mmwsss.apis import load_config
from mmwsss.cams import load_cam_file, normalize_cams, save_cam_file
from mmwsss.cams.generate import generate_cams
from mmwsss.datasets.image_labels import read_split_ids, split_file
from mmwsss.datasets.transforms import EraseRegions
from mmwsss.evaluation import evaluate_seeds
from mmwsss.utils import SettingsChangedError, load_label_png, save_palette_png
from conftest import REPO_ROOT, tiny_cfg_options

AE_DEMO = osp.join(REPO_ROOT, 'configs', 'demo', 'ae_r18_demo.py')
AE_VOC = osp.join(REPO_ROOT, 'configs', 'ae', 'ae_r50_voc.py')
MEAN_BGR = (103.53, 116.28, 123.675)


def paper_erasing_steps(image, heatmaps, labels, mean_pixel):
    """The paper's adversarial erasing, step by step and pixel by pixel:
    at step t, for every class l of the image label, the pixels of the
    heatmap H_t,l belonging to the top 20% of its largest value are the
    discriminative region; their union F_t is erased from I_t by setting
    it to the mean pixel value, giving I_t+1. The regions of all steps
    together are the mined object regions.

    Args:
        image: I_1, ``[h, w, 3]``.
        heatmaps: per step, a dict class -> raw heatmap ``[h, w]`` of every
            class (labelled or not).
        labels: the image label, a list of classes.
        mean_pixel: the mean pixel value.

    Returns:
        (I_T+1, [F_1, ..., F_T], union of the F_t)
    """
    h, w = image.shape[:2]
    erased_image = image.copy()
    regions = []
    for step_heatmaps in heatmaps:
        region = np.zeros((h, w), dtype=bool)
        for label in labels:
            heatmap = step_heatmaps[label]
            largest = heatmap.max()
            for y in range(h):
                for x in range(w):
                    if heatmap[y, x] > (1 - 0.2) * largest:
                        region[y, x] = True
        for y in range(h):
            for x in range(w):
                if region[y, x]:
                    erased_image[y, x] = mean_pixel
        regions.append(region)
    object_regions = np.zeros((h, w), dtype=bool)
    for region in regions:
        object_regions = object_regions | region
    return erased_image, regions, object_regions


def write_cam(directory, img_id, raw_maps, keys):
    """A CAM file as generate_cams writes it: the labelled classes' maps
    divided by their maxima."""
    maps = normalize_cams(torch.as_tensor(raw_maps[keys])).numpy()
    save_cam_file(osp.join(directory, img_id + '.npy'), keys, maps)


# ------------------------------------------------------------- transform


def test_erase_regions_fills_mean_and_missing_mask_is_identity(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 40, (6, 7, 3), dtype=np.uint8)
    mask = np.zeros((6, 7), np.uint8)
    mask[1:4, 2:6] = 1
    save_palette_png(mask, str(tmp_path / 'a.png'))
    erase = TRANSFORMS.build(
        dict(type='EraseRegions', erase_dir=str(tmp_path), fill=MEAN_BGR))
    out = erase(dict(img=img.copy(), img_id='a'))['img']
    assert (out[mask == 1] == np.array([104, 116, 124], np.uint8)).all()
    assert (out[mask == 0] == img[mask == 0]).all()
    # Erased pixels are (nearly) zero after the demo config's normalisation.
    preprocessor = MODELS.build(
        dict(load_config(AE_DEMO).model.data_preprocessor, size=None))
    normalised = preprocessor(
        dict(inputs=[torch.from_numpy(out).permute(2, 0, 1)]))['inputs'][0]
    assert normalised[:, 1:4, 2:6].abs().max() < 0.01
    assert normalised[:, 0].abs().min() > 1.0
    # No mask file, or no folder: the image is untouched.
    assert (erase(dict(img=img.copy(), img_id='b'))['img'] == img).all()
    erase.erase_dir = None
    assert (erase(dict(img=img.copy(), img_id='a'))['img'] == img).all()
    # The id falls back to the image file's stem.
    erase.erase_dir = str(tmp_path)
    out = erase(dict(img=img.copy(), img_path='/x/a.jpg'))['img']
    assert (out[mask == 1] == np.array([104, 116, 124], np.uint8)).all()
    save_palette_png(np.zeros((5, 7), np.uint8), str(tmp_path / 'c.png'))
    with pytest.raises(ValueError, match='before any resize'):
        erase(dict(img=img.copy(), img_id='c'))
    save_palette_png(mask * 2, str(tmp_path / 'd.png'))
    with pytest.raises(ValueError, match='0 and 1'):
        erase(dict(img=img.copy(), img_id='d'))


def test_erase_regions_stay_aligned_through_resize_flip_crop(tmp_path):
    rng = np.random.default_rng(1)
    img = rng.integers(0, 90, (40, 48, 3), dtype=np.uint8)
    mask = np.zeros((40, 48), np.uint8)
    mask[5:25, 30:44] = 1
    mask[28:36, 3:12] = 1
    Image.fromarray(img).save(str(tmp_path / 'x.png'))
    os.makedirs(str(tmp_path / 'masks'))
    save_palette_png(mask, str(tmp_path / 'masks' / 'x.png'))
    # The mask doubles as the segmentation map, so every geometric step
    # moves it exactly as it moves the image.

    def inputs():
        return dict(
            img_path=str(tmp_path / 'x.png'),
            seg_map_path=str(tmp_path / 'masks' / 'x.png'),
            img_id='x',
            reduce_zero_label=False,
            seg_fields=[])

    erase = dict(
        type='EraseRegions', erase_dir=str(tmp_path / 'masks'), fill=(200, ))
    load = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
    for seed in range(3):
        np.random.seed(seed)
        out = Compose(load + [
            erase,
            dict(type='RandomFlip', prob=1.0),
            dict(type='RandomCrop', crop_size=(24, 30))
        ])(inputs())
        seg = out['gt_seg_map']
        assert seg.any() and not seg.all()
        assert (out['img'][seg == 1] == 200).all()
        assert (out['img'][seg == 0] < 90).all()
    out = Compose(load + [
        erase,
        dict(
            type='RandomResize',
            scale=(96, 80),
            ratio_range=(0.75, 1.25),
            keep_ratio=True),
        dict(type='RandomFlip', prob=1.0)
    ])(inputs())
    seg = out['gt_seg_map']
    assert seg.shape == out['img'].shape[:2] and seg.shape[0] >= 60
    # Two pixels away from the bilinear edge (the image grew by up to
    # 2.5x), erased pixels are exactly the fill and the others untouched.

    def erode(region):
        inner = region.copy()
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                inner &= np.roll(region, (dy, dx), axis=(0, 1))
        return inner

    assert erode(seg).sum() > 100 and erode(1 - seg).sum() > 100
    assert (out['img'][erode(seg) == 1] == 200).all()
    assert (out['img'][erode(1 - seg) == 1] < 90).all()


@pytest.mark.parametrize('config,parent', [
    (AE_DEMO, 'configs/demo/cam_r18_demo.py'),
    (AE_VOC, 'configs/cam/cam_r50_voc.py'),
])
def test_ae_configs_erase_before_geometry(config, parent):
    cfg = load_config(config)
    pipeline = cfg.train_dataloader.dataset.pipeline
    assert [t['type'] for t in pipeline[:3]] == [
        'LoadImageFromFile', 'EraseRegions', 'RandomResize'
    ]
    assert pipeline[1]['erase_dir'] is None
    # Otherwise the CAM recipe it inherits, unchanged.
    base = load_config(osp.join(REPO_ROOT, parent))
    assert pipeline[:1] + pipeline[2:] == \
        base.train_dataloader.dataset.pipeline
    assert cfg.model == base.model
    assert cfg.train_dataloader.get('drop_last') == \
        base.train_dataloader.get('drop_last')
    assert ae.erasing_settings(cfg) == (3, 0.8)
    step = ae.set_erase_dir(cfg, '/masks')
    assert cfg.train_dataloader.dataset.pipeline[1]['erase_dir'] == '/masks'
    assert step['type'] == 'EraseRegions'
    # A plain CAM config cannot erase.
    with pytest.raises(ValueError, match='EraseRegions'):
        ae.set_erase_dir(
            load_config(osp.join(REPO_ROOT, 'configs/demo/cam_r18_demo.py')),
            None)


# ------------------------------------------------- mining, union, merging


def test_mining_and_union_match_the_paper(tmp_path):
    rng = np.random.default_rng(2)
    h, w, num_classes = 9, 11, 4
    image = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    mean_pixel = np.array([104, 116, 124], np.uint8)
    labels = [0, 2]
    # Raw ReLU'd heatmaps of every class at two steps, on their own scales.
    heatmaps = [
        rng.uniform(0, 1, (num_classes, h, w)).astype(np.float32)**3 *
        rng.uniform(0.5, 20) for _ in range(2)
    ]
    erased_image, regions, object_regions = paper_erasing_steps(
        image, [dict(enumerate(s)) for s in heatmaps], labels, mean_pixel)
    assert regions[0].any() and not regions[0].all()
    assert (regions[1] & ~regions[0]).any()

    keys = np.array(labels)
    previous = None
    for step, raw in enumerate(heatmaps, 1):
        cam_dir = str(tmp_path / f'cams_{step}')
        write_cam(cam_dir, 'img', raw, keys)
        # A second image with nothing above the threshold in any map.
        save_cam_file(
            osp.join(cam_dir, 'flat.npy'), keys, np.zeros((2, h, w)))
        mined_dir = str(tmp_path / f'mined_{step}')
        stats = ae.write_erase_masks(
            cam_dir, ['img', 'flat'], 0.8, mined_dir,
            previous_dir=previous, progress=False)
        union = load_label_png(osp.join(mined_dir, 'img.png')).astype(bool)
        np.testing.assert_array_equal(
            union, np.logical_or.reduce(regions[:step]))
        assert not load_label_png(osp.join(mined_dir, 'flat.png')).any()
        assert stats['erased_fraction'] == pytest.approx(union.mean() / 2)
        assert stats['mined_fraction'] == pytest.approx(
            (regions[step - 1] & ~np.logical_or.reduce(
                regions[:step - 1] + [np.zeros((h, w), bool)])).mean() / 2)
        assert stats['erased_precision'] is None
        previous = mined_dir
    # I_3 = I_1 with the regions of steps 1 and 2 set to the mean pixel.
    out = EraseRegions(previous, fill=(103.53, 116.28, 123.675))(
        dict(img=image.copy(), img_id='img'))['img']
    np.testing.assert_array_equal(out, erased_image)
    # The merged CAMs above the paper's threshold are its object regions.
    merged_dir = str(tmp_path / 'merged')
    ae.write_merged_cams([str(tmp_path / 'cams_1'),
                          str(tmp_path / 'cams_2')], ['img'],
                         merged_dir, progress=False)
    merged = load_cam_file(osp.join(merged_dir, 'img.npy'))
    np.testing.assert_array_equal(
        ae.mine_regions(merged['high_res'], 0.8), object_regions)


def test_erased_precision_counts_truth_pixels(tmp_path):
    keys = np.array([0])
    maps = np.zeros((1, 4, 4), np.float32)
    maps[0, :2, :] = 1.0  # Mines the top two rows.
    save_cam_file(str(tmp_path / 'a.npy'), keys, maps)
    truth = np.zeros((4, 4), np.uint8)
    truth[0, :] = 1
    truth[1, :2] = 255  # Ignored.
    save_palette_png(truth, str(tmp_path / 'truth' / 'a.png'))
    stats = ae.write_erase_masks(
        str(tmp_path), ['a'], 0.5, str(tmp_path / 'mined'),
        truth_dir=str(tmp_path / 'truth'), progress=False)
    assert stats['erased_precision'] == pytest.approx(100 * 4 / 6, abs=0.01)
    assert stats['erased_fraction'] == pytest.approx(0.5)


def test_max_merge_is_the_union_at_every_threshold(tmp_path):
    rng = np.random.default_rng(3)
    keys = np.array([1, 3])
    rounds = [
        normalize_cams(torch.rand(2, 13, 10)**2).numpy() for _ in range(3)
    ]
    cams = [dict(keys=keys, high_res=r) for r in rounds]
    merged = ae.merge_cams(cams)
    np.testing.assert_array_equal(merged['keys'], keys)
    np.testing.assert_array_equal(merged['high_res'],
                                  np.maximum(np.maximum(*rounds[:2]),
                                             rounds[2]))
    assert merged['cam'].shape == (2, 4, 3)
    for threshold in rng.uniform(0.05, 0.95, 10):
        np.testing.assert_array_equal(
            merged['high_res'] > threshold,
            np.logical_or.reduce([r > threshold for r in rounds]))
    with pytest.raises(ValueError, match='classes'):
        ae.merge_cams([cams[0], dict(keys=np.array([1, 2]),
                                     high_res=rounds[1])])
    # Files: written once, in the CAM file contract, kept on a rerun.
    for i, r in enumerate(rounds):
        save_cam_file(str(tmp_path / f'r{i}' / 'a.npy'), keys, r)
    dirs = [str(tmp_path / f'r{i}') for i in range(3)]
    out = str(tmp_path / 'merged')
    assert ae.write_merged_cams(dirs, ['a'], out, progress=False) == 1
    assert ae.write_merged_cams(dirs, ['a'], out, progress=False) == 0
    loaded = load_cam_file(osp.join(out, 'a.npy'), num_classes=4)
    np.testing.assert_array_equal(loaded['high_res'], merged['high_res'])
    np.testing.assert_allclose(loaded['cam'], merged['cam'])


# ------------------------------------------------------------ end to end


class Interrupt(Exception):
    pass


def run_adversarial_erasing(data_root, root, options):
    """Adversarial erasing's seed stages of its demo pipeline config in
    ``root`` (they write ``<root>/ae``): its seed summary."""
    from mmwsss.pipeline import run_pipeline
    return run_pipeline(data_root, root, method='ae', cfg_options=options,
                        targets=['{seed}/summary'])


def test_run_adversarial_erasing_two_rounds_and_resume(
        tiny_data, tmp_path, monkeypatch):
    root = str(tmp_path / 'run')
    work = osp.join(root, 'ae')
    options = tiny_cfg_options(max_epochs=1)
    options.update({
        'adversarial_erasing_cfg.rounds': 2,
        # No validation inside training; the test after it gives the mAP.
        'train_cfg.val_interval': 10,
        'model.test_cfg.flip': False,
    })
    real_train = training.train_and_test
    calls = []

    def train_once_then_interrupt(cfg, work_dir, **kwargs):
        calls.append(work_dir)
        if len(calls) == 2:
            raise Interrupt
        return real_train(cfg, work_dir, **kwargs)

    # Images erased by the pipelines of training and of CAM inference.
    erased = []
    real_transform = EraseRegions.transform

    def spy(self, results):
        out = real_transform(self, results)
        if self.erase_dir is not None and osp.isfile(self.mask_path(results)):
            erased.append((self.erase_dir, results['img_id']))
        return out

    monkeypatch.setattr(EraseRegions, 'transform', spy)
    # Fewer inference scales and background thresholds, and CAM inference
    # in this process (where the spy sees it): seconds on a CPU.
    monkeypatch.setattr(erased_cams, 'DEFAULT_SCALES', (1.0, 0.5))
    monkeypatch.setattr(
        erased_cams, 'generate_cams',
        functools.partial(generate_cams, num_workers=0, progress=False))
    monkeypatch.setattr(
        seed_evaluation, 'evaluate_seeds',
        functools.partial(
            evaluate_seeds, thresholds=(0.1, 0.2, 0.3), progress=False))
    monkeypatch.setattr(training, 'train_and_test',
                        train_once_then_interrupt)
    with pytest.raises(Interrupt):
        run_adversarial_erasing(tiny_data, root, options)
    # Interrupted as round 2's training started.
    assert calls == [
        osp.join(work, 'round_1', 'classifier'),
        osp.join(work, 'round_2', 'classifier')
    ]
    assert not erased  # Round 1 trains on the images as they are.
    round_1 = stages.StageRecord(osp.join(work, 'round_1'))
    assert set(round_1.stages) == {'train', 'cams', 'seeds', 'mine'}
    assert all(round_1.done(name) for name in round_1.stages)
    round_2 = stages.StageRecord(osp.join(work, 'round_2'))
    assert set(round_2.stages) == {'train'} and not round_2.done('train')
    checkpoint = round_1.get('train')['checkpoint']
    checkpoint_time = os.stat(checkpoint).st_mtime_ns

    calls.clear()
    monkeypatch.setattr(training, 'train_and_test',
                        lambda *a, **k: calls.append(a[1]) or real_train(
                            *a, **k))
    summary = run_adversarial_erasing(tiny_data, root, options)
    # The rerun trained round 2 only and left round 1 as it was.
    assert calls == [osp.join(work, 'round_2', 'classifier')]
    assert os.stat(checkpoint).st_mtime_ns == checkpoint_time
    mined_1 = osp.join(work, 'round_1', 'mined')
    assert {d for d, _ in erased} == {osp.abspath(mined_1)}

    train_ids = read_split_ids(split_file('train', tiny_data))
    mined_2 = osp.join(work, 'round_2', 'mined')
    threshold = summary['seed_threshold']
    for img_id in train_ids:
        first = load_cam_file(
            osp.join(work, 'round_1', 'cams', img_id + '.npy'))
        second = load_cam_file(
            osp.join(work, 'round_2', 'cams', img_id + '.npy'))
        merged = load_cam_file(osp.join(work, 'cams', img_id + '.npy'))
        # Round 1's masks are its CAMs above the threshold; round 2's keep
        # them and add its own.
        mask_1 = load_label_png(osp.join(mined_1, img_id + '.png'))
        mask_2 = load_label_png(osp.join(mined_2, img_id + '.png'))
        np.testing.assert_array_equal(
            mask_1.astype(bool), ae.mine_regions(first['high_res'], 0.8))
        np.testing.assert_array_equal(
            mask_2.astype(bool),
            mask_1.astype(bool) | ae.mine_regions(second['high_res'], 0.8))
        # The merged seeds cover at least round 1's foreground.
        np.testing.assert_array_equal(merged['keys'], first['keys'])
        np.testing.assert_array_equal(
            merged['high_res'],
            np.maximum(first['high_res'], second['high_res']))
        assert ((merged['high_res'] > threshold).any(0)
                >= (first['high_res'] > threshold).any(0)).all()
    assert any(load_label_png(osp.join(mined_1, i + '.png')).any()
               for i in train_ids)
    # Round 2 trained on, and took its CAMs of, every training image erased
    # by round 1's masks (1 epoch + 1 inference pass).
    assert collections.Counter(i for _, i in erased) == {
        i: 2
        for i in train_ids
    }

    keys = {
        'data_root', 'config', 'checkpoint', 'seed_split', 'seed_miou',
        'seed_threshold', 'background_miou', 'classifier_map',
        'val_seed_miou', 'cam_method', 'seconds_per_iter', 'cam_dir',
        'stage_seconds', 'rounds'
    }
    assert keys <= set(summary)
    assert summary['checkpoint'].startswith(osp.join(work, 'round_2'))
    assert summary['cam_dir'] == osp.abspath(osp.join(work, 'cams'))
    first, second = summary['rounds']
    assert first['merged_seed_miou'] == first['seed_miou']
    assert second['merged_seed_miou'] == summary['seed_miou']
    assert 0 <= second['seed_miou'] <= 100
    assert summary['classifier_map'] == first['classifier_map']
    assert summary['seconds_per_iter'] == pytest.approx(
        (first['seconds_per_iter'] + second['seconds_per_iter']) / 2)
    assert second['erased_fraction'] >= first['erased_fraction'] > 0
    assert 0 <= first['erased_precision'] <= 100
    with open(osp.join(work, 'summary.json')) as f:
        assert json.load(f) == json.loads(
            json.dumps(stages.relative_paths(summary, work)))

    # A finished run is read back; with on_change='stop', other settings
    # stop at the first stage they change, naming them.
    calls.clear()
    again = run_adversarial_erasing(tiny_data, root, options)
    assert calls == [] and again['rounds'] == summary['rounds']
    options['adversarial_erasing_cfg.threshold'] = 0.7
    stages.set_on_change('stop')
    try:
        with pytest.raises(SettingsChangedError,
                           match=r'round_1/mine.*threshold: 0.8 -> 0.7'):
            run_adversarial_erasing(tiny_data, root, options)
    finally:
        stages.set_on_change('rerun')
    assert calls == []
