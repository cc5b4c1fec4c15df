"""tools/make_sem_seg_labels.py: random-walk pseudo labels from a trained
IRN, their evaluation and threshold sweep, resuming, sharding and every bad
input failing before the work starts."""
import os
import os.path as osp
import shutil

import numpy as np
import pytest
import torch

from mmwsss.apis import init_model, random_walk_settings
from mmwsss.cams import load_cam_file, save_cam_file
from mmwsss.datasets import build_split_dataset
from mmwsss.evaluation.seed_eval import AreaAccumulator
from mmwsss.pseudo_labels import (check_random_walk_settings,
                                  generate_random_walk_labels)
from mmwsss.pseudo_labels.random_walk import irn_label_scores
from mmwsss.utils import load_label_png
from conftest import run_tool

NUM_TRAIN = 24


def sem_seg(tiny_irn, tiny_data, out_dir, *extra, expect_ok=True):
    config, checkpoint, cam_dir = tiny_irn
    return run_tool('make_sem_seg_labels.py', config, checkpoint,
                    '--cam-dir', cam_dir, '--out-dir', out_dir,
                    '--data-root', tiny_data, '--num-workers', 0, *extra,
                    expect_ok=expect_ok)


@pytest.fixture(scope='module')
def irn_labels(tiny_irn, tiny_data, tmp_path_factory):
    """Labels and saved scores of one run of the tool."""
    out = tmp_path_factory.mktemp('irn_labels')
    stdout = sem_seg(tiny_irn, tiny_data, out / 'labels', '--save-scores',
                     out / 'scores')
    return out / 'labels', out / 'scores', stdout


def test_labels_scores_evaluation_and_sweep(irn_labels, tiny_irn, tiny_data):
    label_dir, score_dir, stdout = irn_labels
    assert f'{NUM_TRAIN} random-walk labels written' in stdout
    names = sorted(n for n in os.listdir(label_dir) if n.endswith('.png'))
    assert len(names) == NUM_TRAIN and sorted(
        n for n in os.listdir(score_dir) if n.endswith('.npy')) == [
            n.replace('.png', '.npy') for n in names
        ]
    # The evaluation table and the background sweep over the scores.
    assert 'mIoU' in stdout and 'saved scores swept' in stdout
    # Each label is IRN's rule on its saved scores: argmax against the
    # config's constant background (0.25), classes from the CAM keys.
    for name in names[:6]:
        label = load_label_png(str(label_dir / name))
        scores = load_cam_file(str(score_dir / name.replace('.png', '.npy')))
        assert label.shape == (128, 128)
        stacked = np.concatenate(
            [np.full((1, 128, 128), 0.25), scores['high_res']])
        expected = np.concatenate([[0], scores['keys'] + 1])[stacked.argmax(0)]
        np.testing.assert_array_equal(label, expected)
        assert np.isclose(scores['high_res'].max(), 1.0)
    # A rerun finds every label and says so.
    again = sem_seg(tiny_irn, tiny_data, label_dir)
    assert '0 random-walk labels written' in again


def test_two_shards_write_the_single_process_labels(irn_labels, tiny_irn,
                                                    tiny_data, tmp_path):
    config, checkpoint, cam_dir = tiny_irn
    model, cfg = init_model(config, checkpoint, device='cpu')
    dataset = build_split_dataset(cfg, 'train', tiny_data)
    out = tmp_path / 'sharded'
    # The tool's settings: the config's random_walk_cfg.
    _, settings = random_walk_settings(cfg)
    written = [
        generate_random_walk_labels(
            model, dataset, cam_dir, str(out), settings=settings,
            num_workers=0, rank=rank, world_size=2, progress=False)
        for rank in (0, 1)
    ]
    assert written == [NUM_TRAIN // 2, NUM_TRAIN // 2]
    for name in [n for n in os.listdir(irn_labels[0]) if n.endswith('.png')]:
        np.testing.assert_array_equal(
            load_label_png(str(out / name)),
            load_label_png(str(irn_labels[0] / name)))


def test_cam_files_without_irn_cam_entry_are_read(tiny_irn, tiny_data,
                                                  tmp_path):
    """Files made by other tools (only keys and high_res) still refine."""
    config, checkpoint, cam_dir = tiny_irn
    bare = tmp_path / 'bare_cams'
    os.makedirs(bare)
    for name in os.listdir(cam_dir)[:3]:
        cam = load_cam_file(osp.join(cam_dir, name))
        save_cam_file(str(bare / name), cam['keys'], cam['high_res'])
    model, cfg = init_model(config, checkpoint, device='cpu')
    dataset = build_split_dataset(cfg, 'train', tiny_data)
    keep = [
        i for i in range(len(dataset))
        if dataset.get_data_info(i)['img_id'] + '.npy' in os.listdir(bare)
    ]
    dataset = dataset.get_subset(keep)
    assert generate_random_walk_labels(
        model, dataset, str(bare), str(tmp_path / 'labels'), num_workers=0,
        progress=False) == 3


@pytest.mark.parametrize('settings, message', [
    (dict(radius=1), 'radius'),
    (dict(radius=2.5), 'radius'),
    (dict(exp_times=40), 'exp_times'),
    (dict(beta=0), 'beta'),
    (dict(bg_threshold=1.5), 'bg_threshold'),
    (dict(logt=8), 'unknown random-walk settings'),
])
def test_settings_out_of_range_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        check_random_walk_settings('irn', settings)


def test_bad_inputs_fail_before_any_label(tiny_irn, tiny_data,
                                          tiny_checkpoint, tmp_path):
    config, checkpoint, cam_dir = tiny_irn
    out = tmp_path / 'out'

    def fails(*args, **kwargs):
        stderr = sem_seg(*args, expect_ok=False, **kwargs)
        assert not osp.isdir(out) or not os.listdir(out)
        return stderr

    # An option out of range, named before the model is built.
    assert 'radius must be' in fails(tiny_irn, tiny_data, out, '--radius', 1)
    assert 'bg_threshold must be' in fails(tiny_irn, tiny_data, out,
                                           '--bg-threshold', '-0.1')
    # A CAM classifier's checkpoint is not an IRN's.
    stderr = fails((config, tiny_checkpoint[1], cam_dir), tiny_data, out)
    assert tiny_checkpoint[1] in stderr and 'lacks' in stderr
    # A CAM classifier's config has no random walk.
    stderr = fails((tiny_checkpoint[0], checkpoint, cam_dir), tiny_data, out)
    assert 'neither IRNBoundaryNet nor AffinityNet' in stderr
    # A missing CAM file is named.
    partial = tmp_path / 'cams'
    shutil.copytree(cam_dir, partial)
    os.remove(partial / 'train_00005.npy')
    stderr = fails((config, checkpoint, str(partial)), tiny_data, out)
    assert 'train_00005' in stderr
    # A CAM file of another class count is named.
    cam = load_cam_file(str(partial / 'train_00002.npy'))
    save_cam_file(
        str(partial / 'train_00005.npy'), [7], cam['high_res'][:1])
    stderr = sem_seg((config, checkpoint, str(partial)), tiny_data, out,
                     expect_ok=False)
    assert 'train_00005.npy' in stderr and 'outside' in stderr


def test_boundary_map_of_a_trained_irn(tiny_irn, tiny_data):
    """IRN's boundary map: stride-4 size, probabilities, not constant, and
    symmetric under flips (the image and its flip are averaged)."""
    config, checkpoint, _ = tiny_irn
    model, cfg = init_model(config, checkpoint, device='cpu')
    sample = build_split_dataset(cfg, 'train', tiny_data)[0]
    image = model.data_preprocessor(
        dict(inputs=[sample['inputs']], data_samples=[sample['data_samples']]),
        False)['inputs']
    with torch.no_grad():
        boundary = model.predict_boundary(image)
        flipped = model.predict_boundary(image.flip(-1))
    assert boundary.shape == (1, 32, 32)
    assert ((boundary >= 0) & (boundary <= 1)).all()
    assert boundary.std() > 0
    torch.testing.assert_close(flipped, boundary.flip(-1))


def test_ir_label_of_another_size_stops_irn_training(tiny_data, tmp_path):
    from PIL import Image

    from mmwsss.apis import load_config
    from mmwsss.utils import save_palette_png
    from conftest import REPO_ROOT, tiny_irn_options
    label_dir = tmp_path / 'ir_labels'
    masks = osp.join(tiny_data, 'SegmentationClass')
    shutil.copytree(masks, label_dir)
    small = np.array(Image.open(label_dir / 'train_00004.png'))[:64]
    save_palette_png(small, str(label_dir / 'train_00004.png'))
    config = tmp_path / 'irn.py'
    load_config(
        osp.join(REPO_ROOT, 'configs', 'demo', 'irn_r18_demo.py'),
        tiny_irn_options(label_dir), data_root=tiny_data).dump(str(config))
    stderr = run_tool('train.py', config, '--work-dir', tmp_path / 'work',
                      expect_ok=False)
    assert 'train_00004.png' in stderr and '128x64' in stderr


def miou(pred, truth, num_classes):
    acc = AreaAccumulator(num_classes)
    acc.add(torch.from_numpy(pred), torch.from_numpy(truth))
    return acc.metrics()["miou"]


def test_walk_spreads_seeds_to_object_boundaries():
    """IRN's premise on a controlled scene: CAMs that cover only the centre
    of each object spread, within the boundaries, to the whole object."""
    size = 96
    truth = np.zeros((size, size), dtype=np.int64)
    truth[10:50, 8:60] = 1
    truth[56:90, 40:88] = 2
    yy, xx = np.mgrid[0:size, 0:size]
    cams = []
    for cls, (cy, cx) in ((1, (30, 34)), (2, (73, 64))):
        peak = np.exp(-((yy - cy)**2 + (xx - cx)**2) / (2 * 9.0**2))
        cams.append(peak * (truth == cls))
    cams = torch.tensor(np.stack(cams), dtype=torch.float32)
    strided = cams[:, 2::4, 2::4]
    # The true class boundaries at stride 4.
    grid = truth[2::4, 2::4]
    edge = np.zeros_like(grid, dtype=bool)
    edge[:-1] |= grid[:-1] != grid[1:]
    edge[:, :-1] |= grid[:, :-1] != grid[:, 1:]
    boundary = torch.tensor(edge, dtype=torch.float32) * 0.95
    scores = irn_label_scores(strided, boundary, (size, size))
    keys = np.array([0, 1])
    walk = np.concatenate([[0], keys + 1])[torch.cat(
        [torch.full((1, size, size), 0.25), scores]).argmax(0).numpy()]
    seeds = np.concatenate([[0], keys + 1])[torch.cat(
        [torch.full((1, size, size), 0.25), cams / cams.amax(
            dim=(1, 2), keepdim=True)]).argmax(0).numpy()]
    # The walk loses the stride-4 cells on the boundary itself, so it
    # cannot reach 100.
    assert miou(seeds, truth, 3) < 60
    assert miou(walk, truth, 3) > 75
