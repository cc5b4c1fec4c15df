"""Mask-proposal merging: SAM_WSSS's rule against a re-typing of its
``merge/max_iou_imp2.py``, the superpixel and SAM sources, and the cache."""
import os
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmwsss.datasets.demo_data import make_demo_dataset
from mmwsss.pseudo_labels.mask_merge import merge_label_with_masks
from mmwsss.pseudo_labels.mask_proposals import (generate_mask_proposals,
                                                 generate_merged_labels,
                                                 load_masks, save_masks)
from mmwsss.pseudo_labels.mask_sources import SAMMasks, SuperpixelMasks
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError,
                                 SettingsChangedError)


def official_max_iou_imp2(predict, sam_masks, num_cls=21):
    """``MaxIoU_IMP2.merge`` with its folder of mask PNGs as a list."""
    seen = []
    processed_mask = np.zeros_like(predict)
    for i in range(1, num_cls):
        pre_cls = predict == i
        if np.sum(pre_cls) == 0:
            continue
        candidates = []
        sam_mask = np.zeros_like(pre_cls)
        for index, cur_sam in enumerate(sam_masks):
            if index not in seen:
                sam_mask = np.logical_or(sam_mask, cur_sam)
                improve_thresh = 2 * np.sum(
                    (pre_cls == cur_sam) * pre_cls) - np.sum(cur_sam)
                improve_pred_thresh = np.sum(
                    (pre_cls == cur_sam) * pre_cls) / np.sum(pre_cls)
                if improve_thresh > 0 or improve_pred_thresh >= 0.85:
                    candidates.append(cur_sam)
                    seen.append(index)
        cam_mask = np.logical_and(sam_mask == 0, pre_cls == 1)
        candidates.append(cam_mask)
        processed_mask[np.sum(candidates, axis=0) > 0] = i
    return processed_mask


@pytest.mark.parametrize('seed', range(6))
def test_merge_matches_sam_wsss(seed):
    rng = np.random.default_rng(seed)
    label = np.zeros((24, 32), np.uint8)
    for cls in rng.choice(np.arange(1, 6), size=3, replace=False):
        y, x = rng.integers(0, 16, size=2)
        label[y:y + rng.integers(4, 10), x:x + rng.integers(4, 14)] = cls
    masks = []
    for _ in range(12):
        mask = np.zeros(label.shape, bool)
        y, x = rng.integers(0, 20, size=2)
        mask[y:y + rng.integers(1, 12), x:x + rng.integers(1, 16)] = True
        masks.append(mask)
    masks.append(np.ones(label.shape, bool))
    masks.append(np.zeros(label.shape, bool))
    masks = np.stack(masks)
    expected = official_max_iou_imp2(label, list(masks))
    np.testing.assert_array_equal(
        merge_label_with_masks(label, masks, keep_ignore=False), expected)
    # The order of the masks does not matter.
    np.testing.assert_array_equal(
        merge_label_with_masks(label, masks[rng.permutation(len(masks))],
                               keep_ignore=False), expected)


def test_unsure_pixels_stay_unsure_unless_a_selected_mask_covers_them():
    label = np.zeros((6, 6), np.uint8)
    label[:3, :3] = 1
    label[3:, 3:] = 255
    mask = np.zeros((1, 6, 6), bool)
    mask[0, :3, :4] = True  # 9 of its 12 pixels are class 1
    merged = merge_label_with_masks(label, mask)
    assert (merged[:3, :4] == 1).all()
    assert (merged[3:, 3:] == 255).all()
    assert (merge_label_with_masks(label, mask, keep_ignore=False)[3:, 3:]
            == 0).all()


def test_superpixels_partition_the_image():
    image = (np.random.default_rng(0).random((40, 50, 3)) * 255).astype(
        np.uint8)
    masks = SuperpixelMasks(
        'felzenszwalb', [dict(scale=50), dict(scale=400)])(image)
    assert masks.shape[1:] == (40, 50) and masks.dtype == bool
    # Each level covers every pixel exactly once.
    assert (masks.sum(axis=0) == 2).all()


def test_mask_cache_round_trip_and_size_check(tmp_path):
    masks = np.random.default_rng(1).random((3, 7, 9)) > 0.5
    path = str(tmp_path / 'a.npz')
    save_masks(path, masks)
    np.testing.assert_array_equal(load_masks(path, (7, 9)), masks)
    with pytest.raises(InputValueError, match=f'{path}.*7x9 image'):
        load_masks(path, (9, 7))


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('merge_data'))
    make_demo_dataset(root, num_train=4, num_val=0, num_classes=2)
    return root


def test_merged_labels_from_cached_superpixels(tiny_root, tmp_path):
    source = dict(type='SuperpixelMasks', method='slic',
                  levels=[dict(n_segments=60, compactness=10)])
    mask_dir = str(tmp_path / 'masks')
    assert generate_mask_proposals(tiny_root, 'train', mask_dir, source,
                                   progress=False) == 4
    # Resumed: nothing is recomputed; other settings are refused.
    assert generate_mask_proposals(tiny_root, 'train', mask_dir, source,
                                   progress=False) == 0
    other = dict(source, levels=[dict(n_segments=30)])
    with pytest.raises(SettingsChangedError, match='n_segments'):
        generate_mask_proposals(tiny_root, 'train', mask_dir, other,
                                progress=False)
    # Merging the true masks with superpixels keeps most of them.
    out_dir = str(tmp_path / 'merged')
    true_dir = osp.join(tiny_root, 'SegmentationClass')
    written = generate_merged_labels(
        mask_dir, tiny_root, 'train', out_dir, labels_dir=true_dir,
        num_workers=1, progress=False)
    assert written == 4
    for name in os.listdir(out_dir):
        if not name.endswith('.png'):
            continue
        truth = np.asarray(Image.open(osp.join(true_dir, name)))
        merged = np.asarray(Image.open(osp.join(out_dir, name)))
        valid = truth != 255
        assert (merged[valid] == truth[valid]).mean() > 0.9


def test_a_mask_cache_of_another_image_size_is_named(tiny_root, tmp_path):
    mask_dir = str(tmp_path / 'masks')
    generate_mask_proposals(
        tiny_root, 'train', mask_dir,
        dict(type='SuperpixelMasks', levels=[dict(scale=100)]),
        progress=False)
    name = sorted(f for f in os.listdir(mask_dir) if f.endswith('.npz'))[0]
    save_masks(osp.join(mask_dir, name), np.zeros((1, 5, 5), bool))
    with pytest.raises(InputValueError, match=name):
        generate_merged_labels(
            mask_dir, tiny_root, 'train', str(tmp_path / 'out'),
            labels_dir=osp.join(tiny_root, 'SegmentationClass'),
            num_workers=1, progress=False)


def sam_checkpoint(tmp_path, model_type):
    from segment_anything import sam_model_registry
    torch.manual_seed(0)
    path = str(tmp_path / f'sam_{model_type}.pth')
    torch.save(sam_model_registry[model_type]().state_dict(), path)
    return path


def test_sam_checkpoints_are_checked(tmp_path):
    with pytest.raises(InputFileNotFoundError,
                       match='missing.pth.*sam_vit_h_4b8939.pth'):
        SAMMasks(str(tmp_path / 'missing.pth'))
    path = sam_checkpoint(tmp_path, 'vit_b')
    with pytest.raises(InputValueError,
                       match=f'{path}.*width 768 \\(vit_b\\).*expects 1280'):
        SAMMasks(path, model_type='vit_h')


def test_sam_masks_through_segment_anything(tmp_path):
    """Meta's generator on random weights: masks of the image's size."""
    path = sam_checkpoint(tmp_path, 'vit_b')
    source = SAMMasks(
        path, 'vit_b',
        generator=dict(points_per_side=4, pred_iou_thresh=0.0,
                       stability_score_thresh=0.0),
        device='cpu')
    image = (np.random.default_rng(0).random((60, 80, 3)) * 255).astype(
        np.uint8)
    masks = source(image)
    assert masks.dtype == bool and masks.shape[1:] == (60, 80)
    assert len(masks) > 0


def test_pipeline_merges_crf_labels_with_superpixels(tiny_data, tmp_path):
    """The demo pipeline config on CAM files made from the true objects:
    the CRF labels, the superpixel cache and the merged labels of the seed
    split, with a quality floor; a rerun does nothing again; a SAM source
    whose checkpoint is missing fails before any stage runs."""
    from conftest import write_blurred_cams
    from mmwsss.pipeline import PipelineRunner
    from mmwsss.pipeline.configs import build_pipeline_config

    cam_dir = str(tmp_path / 'cams')
    write_blurred_cams(tiny_data, cam_dir)
    cfg = build_pipeline_config(method='cam', preset='demo')
    cfg.stages['{seed}/cams'] = dict(type='CAMFolder', cam_dir=cam_dir)
    path = str(tmp_path / 'merge_pipeline.py')
    cfg.dump(path)
    work_dir = str(tmp_path / 'run')
    targets = ['crf_eval', 'crf_merge_eval']

    def run(work_dir):
        cfg = build_pipeline_config(path)
        return PipelineRunner(cfg, tiny_data, work_dir, num_workers=0,
                              targets=targets).run()

    results = run(work_dir)
    crf, merged = results['crf_eval'], results['crf_merge_eval']
    # Superpixels bring the labels closer to the objects than the CRF.
    assert merged['miou'] > crf['miou'] > 85
    labels = os.listdir(osp.join(work_dir, 'crf_merge_labels'))
    assert len([n for n in labels if n.endswith('.png')]) == 24
    masks = os.listdir(osp.join(work_dir, 'masks', 'proposals'))
    assert len([n for n in masks if n.endswith('.npz')]) == 24
    stamp = os.path.getmtime(osp.join(work_dir, 'crf_merge_labels',
                                      labels[0]))
    again = run(work_dir)
    assert again['crf_merge_eval']['miou'] == merged['miou']
    assert os.path.getmtime(osp.join(work_dir, 'crf_merge_labels',
                                     labels[0])) == stamp

    # Two keys of one stage are refused, not one silently dropped.
    twice = build_pipeline_config(path)
    twice.stages['cam/cams'] = dict(type='CAMFolder', cam_dir=cam_dir)
    with pytest.raises(InputKeyError, match="both name stage 'cam/cams'"):
        PipelineRunner(twice, tiny_data, str(tmp_path / 'twice'))

    cfg.mask_source = dict(type='SAMMasks',
                           checkpoint=str(tmp_path / 'sam_vit_h.pth'))
    cfg.dump(path)
    fresh = str(tmp_path / 'fresh')
    with pytest.raises(InputFileNotFoundError, match='sam_vit_h.pth'):
        run(fresh)
    assert not osp.exists(fresh)


def test_merge_tool_caches_merges_and_evaluates(tiny_data, tmp_path):
    from conftest import run_tool
    out_dir = tmp_path / 'merged'
    run_tool('merge_masks.py', 'configs/mask_merge/slic_merge_demo.py',
             '--labels', osp.join(tiny_data, 'SegmentationClass'),
             '--data-root', tiny_data, '--mask-dir', tmp_path / 'masks',
             '--out-dir', out_dir, '--num-workers', 1)
    import json
    result = json.load(open(out_dir / 'pseudo_eval_train.json'))
    assert result['miou'] > 90
    # SAM without its checkpoint: one line naming the file and the release.
    stderr = run_tool('merge_masks.py',
                      'configs/mask_merge/sam-vit-h_merge_voc12.py',
                      '--labels', out_dir, '--data-root', tiny_data,
                      '--mask-dir', tmp_path / 'sam', '--out-dir',
                      tmp_path / 'sam_out', expect_ok=False)
    assert 'sam_vit_h_4b8939.pth' in stderr and 'Traceback' not in stderr
    assert not osp.exists(tmp_path / 'sam')
