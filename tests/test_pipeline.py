import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.runner import Runner
from PIL import Image

from mmwsss.apis import load_config
from mmwsss.pipeline import run_pipeline as run_any_pipeline
from mmwsss.cams import load_cam_file
from conftest import (DEMO_CONFIG, dump_tiny_config, no_worker_options,
                      run_tool, tiny_cfg_options, tiny_irn_options)


def test_checkpoints_load_weights_only_and_resume(tiny_data, tmp_path):
    config = dump_tiny_config(tiny_data, tmp_path / 'tiny.py')
    work = tmp_path / 'run'
    run_tool('train.py', config, '--work-dir', work)
    checkpoint = str(work / 'epoch_2.pth')
    state = torch.load(checkpoint, map_location='cpu', weights_only=True)
    assert {'state_dict', 'message_hub', 'meta'} <= set(state)

    # Without mmwsss's allow-list, torch refuses mmengine's checkpoint.
    proc = subprocess.run([
        sys.executable, '-c', 'import torch, sys; '
        'torch.load(sys.argv[1], weights_only=True)', checkpoint
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert 'HistoryBuffer' in proc.stderr or 'Unsupported global' in \
        proc.stderr

    # --resume continues from epoch 2 to a new maximum of 3.
    run_tool('train.py', config, '--work-dir', work, '--resume',
             '--cfg-options', 'train_cfg.max_epochs=3')
    resumed = torch.load(
        str(work / 'epoch_3.pth'), map_location='cpu', weights_only=True)
    assert resumed['meta']['epoch'] == 3
    assert resumed['meta']['iter'] == 3 * state['meta']['iter'] // 2

    # load_from restores the exact weights.
    cfg = load_config(config, work_dir=str(tmp_path / 'load'))
    cfg.load_from = checkpoint
    runner = Runner.from_cfg(cfg)
    runner.load_or_resume()
    for key, value in state['state_dict'].items():
        torch.testing.assert_close(runner.model.state_dict()[key], value)


def run_seed_pipeline(data_root, work_dir, config, cfg_options):
    """The seed stages of CAM's pipeline config alone, trained under
    ``config``: its seed summary."""
    return run_any_pipeline(
        data_root, work_dir, method='cam', cfg_options=cfg_options,
        options=dict(seed_config=config), targets=['{seed}/summary'])


def test_seed_pipeline_end_to_end_and_rerun_skips(tiny_data, tmp_path):
    work = str(tmp_path / 'pipeline')
    summary = run_seed_pipeline(
        tiny_data, work, DEMO_CONFIG, cfg_options=tiny_cfg_options(10))
    for key in ('seed_miou', 'seed_threshold', 'background_miou',
                'classifier_map', 'cam_dir'):
        assert summary[key] is not None, key
    # Ten epochs learn the tiny data: seeds 33.5 against the all-background
    # 19.4, mAP 89 (measured).
    assert summary['seed_miou'] > summary['background_miou'] + 5
    assert summary['classifier_map'] > 70
    with open(osp.join(work, 'cam', 'summary.json')) as f:
        assert json.load(f)['seed_miou'] == summary['seed_miou']
    cam_files = sorted(n for n in os.listdir(summary['cam_dir'])
                       if n.endswith('.npy'))
    assert len(cam_files) == 24
    for name in cam_files:
        cam = load_cam_file(osp.join(summary['cam_dir'], name), 3, (128, 128))
        assert cam['high_res'].dtype == np.float32
        assert cam['high_res'].min() >= 0 and cam['high_res'].max() <= 1
    mtimes = {n: os.stat(osp.join(summary['cam_dir'], n)).st_mtime_ns
              for n in cam_files}

    again = run_seed_pipeline(
        tiny_data, work, DEMO_CONFIG, cfg_options=tiny_cfg_options(10))
    assert again['stage_seconds'] == summary['stage_seconds']
    assert mtimes == {
        n: os.stat(osp.join(summary['cam_dir'], n)).st_mtime_ns
        for n in cam_files
    }


def test_tools_make_cams_resume_and_agree_with_test_tool(tiny_data, tmp_path):
    config = dump_tiny_config(tiny_data, tmp_path / 'tiny.py', max_epochs=1)
    work = tmp_path / 'train'
    run_tool('train.py', config, '--work-dir', work)
    checkpoint = work / 'epoch_1.pth'

    metrics_json = tmp_path / 'metrics.json'
    run_tool('test.py', config, checkpoint, '--work-dir', tmp_path / 'test',
             '--out', metrics_json)
    with open(metrics_json) as f:
        metrics = json.load(f)
    assert {'mIoU', 'multi-label/mAP'} <= set(metrics)

    cam_dir = tmp_path / 'cams'
    out = run_tool('make_cams.py', config, checkpoint, '--out-dir', cam_dir,
                   '--split', 'val', '--scales', 1.0, 0.5, '--num-workers', 0)
    assert '8 CAM files written' in out
    assert len(os.listdir(cam_dir)) == 8 + 1  # and the manifest

    # Resume: a lost file and an interrupted write's leftover.
    os.remove(cam_dir / 'val_00025.npy')
    (cam_dir / '.val_00026.npy.abc.npy.tmp').write_bytes(b'partial')
    out = run_tool('make_cams.py', config, checkpoint, '--out-dir', cam_dir,
                   '--split', 'val', '--scales', 1.0, 0.5, '--num-workers', 0)
    assert '1 CAM files written' in out
    assert sorted(os.listdir(cam_dir)) == ['manifest.json'] + [
        f'val_{i:05d}.npy' for i in range(24, 32)
    ]

    # The CAM files give the test tool's seed mIoU at its threshold.
    eval_json = tmp_path / 'seed_eval.json'
    run_tool('eval_cams.py', '--cam-dir', cam_dir, '--data-root', tiny_data,
             '--split', 'val', '--thresholds', 0.3, '--out', eval_json)
    with open(eval_json) as f:
        seeds = json.load(f)
    assert abs(seeds['best_miou'] - metrics['mIoU']) <= 0.01


def pngs(folder):
    return [n for n in os.listdir(folder) if n.endswith('.png')]


def tiny_seg_options():
    options = {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.decode_head.in_channels': [16, 32, 64],
        'model.decode_head.channels': 16,
        'model.auxiliary_head.in_channels': 32,
        'model.auxiliary_head.channels': 8,
        'train_cfg.max_iters': 4,
        'train_cfg.val_interval': 4,
        'default_hooks.checkpoint.interval': 4,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': 4,
    }
    options.update(no_worker_options())
    return options


@pytest.mark.parametrize('refine', ['crf', 'irn'])
def test_whole_pipeline_and_rerun_skips_every_stage(tiny_data, tmp_path,
                                                    refine):
    from mmwsss.pipeline import format_summary, run_pipeline
    work = str(tmp_path / 'whole')
    refine_options = tiny_irn_options('unused', max_epochs=1)
    refine_options.pop('train_dataloader.dataset.pseudo_label_dir')
    kwargs = dict(
        method='recam',
        preset='demo',
        refine=refine,
        full_supervision=True,
        cfg_options=tiny_cfg_options(max_epochs=10),
        seg_cfg_options=tiny_seg_options(),
        refine_cfg_options=refine_options,
        num_workers=2)
    summary = run_pipeline(tiny_data, work, **kwargs)
    for key in ('seed_miou', 'seed_threshold', 'pseudo_miou', 'final_miou',
                'full_supervision_miou', 'full_supervision_ratio', 'cam_dir',
                'pseudo_label_dir', 'crf_pseudo_miou'):
        assert summary[key] is not None, key
    # Quality floors (measured: seeds 32.8, CRF labels 31.1 against the
    # all-background 19.4 after ten epochs; the 4-step segmentors learn
    # nothing yet, so they get none).
    assert summary['seed_miou'] > summary['background_miou'] + 5
    assert summary['crf_pseudo_miou'] > summary['background_miou'] + 5
    assert summary['refine'] == refine
    assert len(pngs(summary['pseudo_label_dir'])) == 24
    label_stages = {'crf_labels', 'crf_eval', 'figures'}
    if refine == 'irn':
        label_stages |= {
            'irn_train_labels', 'irn_train_labels_eval', 'irn_train',
            'irn_boundary_eval',
            'irn_scores', 'irn_scores_eval', 'irn_labels', 'irn_eval'
        }
        # Both labels' background by one rule: each swept over its own
        # scores on the seed split; the boundary map's AP reported.
        assert summary['bg_rule'] == 'swept'
        assert summary['crf_bg_threshold'] == summary['seed_threshold']
        assert summary['refine_bg_threshold'] == \
            summary['refine_swept_threshold']
        assert summary['refine_swept_miou'] == summary['pseudo_miou']
        assert 0 < summary['boundary_ap_chance'] < 50
        assert 0 < summary['boundary_ap'] <= 100
        assert 'boundary AP' in format_summary(summary)
        # The labels used are the random walk's, not the CRF's.
        assert summary['pseudo_label_dir'] == osp.join(work, 'irn_labels')
        assert {k: summary['refine_settings'][k]
                for k in ('beta', 'radius', 'bg_threshold')} == dict(
                    beta=10, radius=5, bg_threshold=0.28)
        assert osp.isfile(summary['figures']['refinement'])
        assert len(pngs(osp.join(work, 'irn_train_labels'))) == 24
    else:
        assert summary['pseudo_label_dir'] == osp.join(work, 'crf_labels')
        assert summary['crf_pseudo_miou'] == summary['pseudo_miou']
    assert set(summary['stage_seconds']) == {
        'cam/train', 'recam/train', 'recam/cams', 'recam/seeds',
        'segmentation', 'full_supervision'
    } | label_stages
    assert 'final mIoU' in format_summary(summary)
    with open(osp.join(work, 'summary.json')) as f:
        written = json.load(f)
    assert written['final_miou'] == summary['final_miou']
    # Paths inside the work dir are relative to it.
    assert written['pseudo_label_dir'] == osp.relpath(
        summary['pseudo_label_dir'], work)
    # Figures next to the summary: 4 rows of image + maps / labels.
    for name, path in summary['figures'].items():
        if name == 'refinement':
            continue
        grid = np.array(Image.open(path))
        assert grid.shape[0] == 4 * (192 + 20), name
        assert grid.shape[1] >= 2 * 192 and grid.std() > 10, name

    # The segmentation stage draws with mmseg's hook through --show-dir.
    seg_config = glob.glob(osp.join(work, 'segmentation', '*.py'))[0]
    show_dir = tmp_path / 'show'
    run_tool('test.py', seg_config,
             glob.glob(osp.join(work, 'segmentation', 'iter_*.pth'))[0],
             '--work-dir', tmp_path / 'seg_test', '--show-dir', show_dir)
    drawn = glob.glob(str(show_dir / '**' / '*.png'), recursive=True)
    assert len(drawn) == 8

    stamps = {
        name: os.stat(osp.join(summary['pseudo_label_dir'], name)).st_mtime_ns
        for name in os.listdir(summary['pseudo_label_dir'])
    }
    again = run_pipeline(tiny_data, work, **kwargs)
    assert again['stage_seconds'] == summary['stage_seconds']
    assert again['final_miou'] == summary['final_miou']
    assert stamps == {
        name: os.stat(osp.join(summary['pseudo_label_dir'], name)).st_mtime_ns
        for name in os.listdir(summary['pseudo_label_dir'])
    }


def test_segmentation_training_resumes(tiny_data, tmp_path):
    """tools/train.py --resume continues the segmentation stage too."""
    label_dir = tmp_path / 'labels'
    shutil.copytree(osp.join(tiny_data, 'SegmentationClass'), label_dir)
    options = tiny_seg_options()
    options.update({
        'train_cfg.max_iters': 2,
        'train_cfg.val_interval': 100,
        'default_hooks.checkpoint.interval': 2,
        'model.decode_head.num_classes': 4,
        'model.auxiliary_head.num_classes': 4,
        'train_dataloader.dataset.data_root': tiny_data,
        'train_dataloader.dataset.pseudo_label_dir': str(label_dir),
        'val_dataloader.dataset.data_root': tiny_data,
    })
    config = tmp_path / 'seg.py'
    load_config('demo/encnet_r18_demo.py', options).dump(str(config))
    work = tmp_path / 'seg'
    run_tool('train.py', config, '--work-dir', work)
    run_tool('train.py', config, '--work-dir', work, '--resume',
             '--cfg-options', 'train_cfg.max_iters=4')
    resumed = torch.load(
        str(work / 'iter_4.pth'), map_location='cpu', weights_only=True)
    assert resumed['meta']['iter'] == 4
    log = sorted(glob.glob(str(work / '*' / '*.log')))[-1]
    with open(log) as f:
        assert 'resumed epoch: 0, iter: 2' in f.read()


def test_quiet_stages_print_one_line_each_and_log_to_files(
        tiny_data, tmp_path, capfd):
    from mmwsss.pipeline import set_verbose
    work = tmp_path / 'quiet'
    set_verbose(False)
    try:
        run_seed_pipeline(tiny_data, str(work), DEMO_CONFIG,
                          cfg_options=tiny_cfg_options(max_epochs=1))
        again = run_seed_pipeline(tiny_data, str(work), DEMO_CONFIG,
                                  cfg_options=tiny_cfg_options(max_epochs=1))
    finally:
        set_verbose(True)
    out = capfd.readouterr().out
    # Off a terminal (captured here, or a log file) each stage writes a line
    # when it starts, its progress now and then and its result; a rerun one
    # line per stage that it skips. Never a redraw per step.
    assert '\r' not in out
    lines = [line for line in out.split('\n') if line.strip()]
    results = [line for line in lines if ' s, ' in line or
               line.endswith(('.log)',))]
    skips = [line for line in lines if 'skipped' in line]
    assert len(skips) == 3, out
    assert [line.split(':')[0] for line in results] == [
        'cam/train', 'cam/cams', 'cam/seeds'], out
    assert 'mAP' in results[0] and 'seed mIoU' in results[2]
    assert len(lines) <= 3 + 3 + 3 + 3, out
    assert 'Epoch(train)' not in out and 'Config:' not in out
    with open(work / 'cam' / 'logs' / 'train.log') as f:
        assert 'Epoch(train)' in f.read()
    assert again['seed_miou'] is not None
