"""Reruns that are always right, on real tool runs: a work dir never
reports results computed under other settings, resumes where it stopped
and can be moved; generators refuse to mix settings in one folder."""
import json
import os
import os.path as osp
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from mmwsss.datasets import make_demo_dataset
from mmwsss.utils import (changed_settings, flatten_settings, portable,
                          prepare_output_dir, read_manifest)
from mmwsss.utils.errors import SettingsChangedError
from conftest import (REPO_ROOT, TINY_CLASSES, no_worker_options, run_tool,
                      tiny_cfg_options, tiny_irn_options)
from test_pipeline import tiny_seg_options

CAM_EPOCHS = 4


def cli(options):
    """``key=value`` words of ``--cfg-options`` for a dict of options."""

    def text(value):
        if isinstance(value, (tuple, list)):
            inner = ','.join(text(v) for v in value)
            return f'({inner})' if isinstance(value, tuple) else f'[{inner}]'
        return str(value)

    return [f'{key}={text(value)}' for key, value in options.items()]


def pipeline_args(data_root, work_dir, *extra, refine='crf', method='recam',
                  cam_options=None):
    irn = tiny_irn_options('unused', max_epochs=1)
    irn.pop('train_dataloader.dataset.pseudo_label_dir')
    return [
        osp.join(REPO_ROOT, 'tools', 'run_pipeline.py'), '--data-root',
        data_root, '--work-dir', work_dir, '--method', method, '--refine',
        refine, '--num-workers', 1, '--cfg-options',
        *cli(cam_options or tiny_cfg_options(CAM_EPOCHS)),
        '--seg-cfg-options', *cli(tiny_seg_options()),
        '--refine-cfg-options', *cli(irn), *extra
    ]


def run_pipeline_tool(*args, expect_ok=True):
    """``(returncode, stdout, stderr)`` of tools/run_pipeline.py."""
    proc = subprocess.run([sys.executable] + [str(a) for a in args],
                          capture_output=True, text=True, cwd=REPO_ROOT)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.returncode, proc.stdout, proc.stderr


def load(path):
    with open(path) as f:
        return json.load(f)


STAGE_LINE = re.compile(r'^([\w+-]+/[\w+-]+)(:| \.\.\.| \(resumed\))')


def stage_lines(stdout):
    """Console line of each stage (the last write of a rewritten line)."""
    lines = [line.split('\r')[-1].strip() for line in stdout.split('\n')]
    return {STAGE_LINE.match(line).group(1): line for line in lines
            if STAGE_LINE.match(line)}


def skipped(stdout):
    return {k for k, v in stage_lines(stdout).items() if 'skipped' in v}


def ran(stdout):
    return {k for k, v in stage_lines(stdout).items()
            if 'skipped' not in v and ' s' in v}


@pytest.fixture(scope='module')
def base_run(tiny_data, tmp_path_factory):
    """A finished ReCAM + CRF run on the tiny data: ``(work dir,
    summary)``; each test reruns a copy of it."""
    work = str(tmp_path_factory.mktemp('reruns') / 'base')
    run_pipeline_tool(*pipeline_args(tiny_data, work))
    return work, load(osp.join(work, 'summary.json'))


@pytest.fixture
def copy_of(base_run, tmp_path):
    work = str(tmp_path / 'work')
    shutil.copytree(base_run[0], work)
    return work


def test_rerun_with_the_same_settings_skips_every_stage(
        tiny_data, base_run, copy_of):
    _, out, _ = run_pipeline_tool(*pipeline_args(tiny_data, copy_of))
    stages = stage_lines(out)
    assert set(stages) == skipped(out), out
    assert {'work/crf_labels', 'work/segmentation', 'recam/cams'} <= \
        set(stages)
    summary = load(osp.join(copy_of, 'summary.json'))
    for key in ('seed_miou', 'pseudo_miou', 'final_miou'):
        assert summary[key] == base_run[1][key], key


def test_changed_threshold_reruns_the_labels_and_what_reads_them(
        tiny_data, copy_of, tmp_path):
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, '--bg-threshold', 0.2))
    assert {'recam/train', 'recam/cams', 'recam/seeds'} <= skipped(out)
    assert {'work/crf_labels', 'work/crf_eval', 'work/segmentation',
            'work/figures'} <= ran(out)
    manifest = read_manifest(osp.join(copy_of, 'crf_labels'))
    assert manifest['settings']['labels.bg_threshold'] == 0.2
    # The same labels as a fresh folder made at 0.2 from the same CAMs.
    fresh = tmp_path / 'fresh'
    run_tool('make_pseudo_labels.py', '--cam-dir',
             osp.join(copy_of, 'recam', 'cams'), '--data-root', tiny_data,
             '--out-dir', fresh, '--bg-threshold', 0.2, '--crf')
    summary = load(osp.join(copy_of, 'summary.json'))
    assert summary['pseudo_miou'] == load(
        fresh / 'pseudo_eval_train.json')['miou']
    assert summary['crf_pseudo_miou'] == summary['pseudo_miou']


def test_no_crf_reruns_the_labels(tiny_data, base_run, copy_of, tmp_path):
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, '--no-crf'))
    assert 'work/crf_labels' in ran(out)
    manifest = read_manifest(osp.join(copy_of, 'crf_labels'))
    assert manifest['settings']['labels.crf'] is None
    fresh = tmp_path / 'fresh'
    run_tool('make_pseudo_labels.py', '--cam-dir',
             osp.join(copy_of, 'recam', 'cams'), '--data-root', tiny_data,
             '--out-dir', fresh)
    summary = load(osp.join(copy_of, 'summary.json'))
    assert summary['pseudo_miou'] == load(
        fresh / 'pseudo_eval_train.json')['miou']
    assert summary['pseudo_miou'] != base_run[1]['pseudo_miou']


def test_changed_stage_config_reruns_it_and_everything_downstream(
        tiny_data, copy_of):
    options = tiny_cfg_options(CAM_EPOCHS + 1)
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, cam_options=options))
    assert not skipped(out), out
    # The folder started over (no resume from the old run's last epoch):
    # one run's logs, all its epochs.
    classifier = osp.join(copy_of, 'recam', 'classifier')
    runs = [n for n in os.listdir(classifier)
            if osp.isdir(osp.join(classifier, n))]
    assert len(runs) == 1, runs
    assert f'epoch_{CAM_EPOCHS + 1}.pth' in os.listdir(classifier)
    with open(osp.join(copy_of, 'recam', 'logs', 'train.log')) as f:
        log = f.read()
    assert 'resumed epoch' not in log
    entry = load(osp.join(copy_of, 'recam', 'stages.json'))['train']
    assert entry['inputs']['config.train_cfg.max_epochs'] == CAM_EPOCHS + 1


def test_changed_segmentation_options_rerun_only_the_segmentor(
        tiny_data, copy_of):
    _, out, _ = run_pipeline_tool(*pipeline_args(
        tiny_data, copy_of, '--seg-cfg-options', 'train_cfg.max_iters=6'))
    assert ran(out) == {'work/segmentation', 'work/figures'}, out
    assert 'iter_6.pth' in os.listdir(osp.join(copy_of, 'segmentation'))


def test_on_change_stop_names_the_changed_setting(tiny_data, copy_of):
    code, out, err = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, '--bg-threshold', 0.2,
                       '--on-change', 'stop'),
        expect_ok=False)
    assert code == 1
    assert 'Traceback' not in err
    message = err.strip().splitlines()[-1]
    assert 'run_pipeline.py: error: ' in message
    assert 'crf_labels' in message and 'settings.bg_threshold' in message
    assert '-> 0.2' in message, message


def test_refine_switch_both_ways_shares_the_crf_stages(
        tiny_data, base_run, copy_of):
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, refine='irn'))
    assert {'work/crf_labels', 'work/crf_eval'} <= skipped(out)
    assert {'work/irn_train_labels', 'work/irn_train', 'work/irn_labels',
            'work/irn_eval', 'work/segmentation'} <= ran(out)
    irn = load(osp.join(copy_of, 'summary.json'))
    assert irn['refine'] == 'irn'
    assert irn['pseudo_label_dir'] == 'irn_labels'
    assert irn['pseudo_miou'] == load(
        osp.join(copy_of, 'irn_labels', 'pseudo_eval_train.json'))['miou']
    assert irn['crf_pseudo_miou'] == base_run[1]['pseudo_miou']
    # The walk's labels thresholded at the best of its own saved scores.
    assert irn['refine_bg_threshold'] == load(
        osp.join(copy_of, 'irn_scores',
                 'seed_eval_train.json'))['best_threshold']

    # A dense CRF on the same walk's scores: the walk is shared.
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, refine='irn+crf'))
    assert {'work/irn_train', 'work/irn_scores'} <= skipped(out)
    assert {'work/irn_crf_labels', 'work/irn_crf_eval',
            'work/segmentation'} <= ran(out)
    both = load(osp.join(copy_of, 'summary.json'))
    assert both['refine'] == 'irn+crf'
    assert both['pseudo_label_dir'] == 'irn_crf_labels'
    assert both['pseudo_miou'] == load(
        osp.join(copy_of, 'irn_crf_labels',
                 'pseudo_eval_train.json'))['miou']

    # Both backgrounds from the configs: the CRF labels at the ReCAM
    # config's seed threshold, the walk's at random_walk_cfg's.
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, '--bg-rule', 'config',
                       refine='irn'))
    assert {'work/crf_labels', 'work/irn_labels'} <= ran(out)
    assert 'work/irn_scores' in skipped(out)
    fixed = load(osp.join(copy_of, 'summary.json'))
    assert fixed['bg_rule'] == 'config'
    from mmwsss.apis import load_config
    recam = load_config(osp.join(REPO_ROOT, 'configs', 'demo',
                                 'recam_r18_demo.py'))
    assert fixed['crf_bg_threshold'] == recam.model.test_cfg.bg_threshold
    assert fixed['refine_bg_threshold'] == 0.28

    _, out, _ = run_pipeline_tool(*pipeline_args(tiny_data, copy_of))
    crf = load(osp.join(copy_of, 'summary.json'))
    assert crf['refine'] == 'crf' and crf['pseudo_label_dir'] == 'crf_labels'
    assert crf['pseudo_miou'] == base_run[1]['pseudo_miou']
    assert 'refine_settings' not in crf
    # Both kinds of labels stay, each in its own folder.
    assert osp.isfile(osp.join(copy_of, 'irn_labels', 'manifest.json'))


def test_affinitynet_refinement_sweeps_its_background(tiny_data, copy_of):
    """``--refine psa``: AffinityNet's stages beside the shared CRF ones,
    its background exponent swept on the seed split and its labels at
    the best one; ``psa+crf`` reuses the walk's network."""
    psa = {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.affinity_head.in_channels': (16, 32, 64),
        'train_dataloader.batch_size': 8,
        'train_cfg.max_epochs': 1,
        'param_scheduler.0.end': 1,
        **no_worker_options()
    }
    args = pipeline_args(tiny_data, copy_of, refine='psa')
    cut = args.index('--refine-cfg-options')
    args = args[:cut] + ['--refine-cfg-options', *cli(psa)]
    _, out, _ = run_pipeline_tool(*args)
    assert {'work/crf_labels', 'work/crf_eval'} <= skipped(out)
    assert {'work/psa_train_labels', 'work/psa_train',
            'work/psa_boundary_eval', 'work/psa_alpha_eval',
            'work/psa_labels', 'work/psa_eval'} <= ran(out)
    summary = load(osp.join(copy_of, 'summary.json'))
    sweep = load(osp.join(copy_of, 'psa', 'alpha_sweep_train.json'))
    assert summary['refine'] == 'psa' and summary['bg_rule'] == 'swept'
    assert summary['refine_alpha'] == sweep['best_alpha']
    # The labels at the best alpha are the sweep's labels at it.
    assert summary['pseudo_miou'] == sweep['best_miou']
    assert summary['refine_settings']['alpha'] == sweep['best_alpha']
    assert 0 < summary['boundary_ap_chance'] < 100
    assert 0 < summary['boundary_ap'] <= 100

    args[args.index('psa')] = 'psa+crf'
    _, out, _ = run_pipeline_tool(*args)
    assert {'work/psa_train', 'work/psa_alpha_eval'} <= skipped(out)
    assert {'work/psa_crf_labels', 'work/psa_crf_eval'} <= ran(out)
    assert load(osp.join(copy_of, 'summary.json'))[
        'pseudo_label_dir'] == 'psa_crf_labels'


def test_method_switch_reports_the_new_methods_results(tiny_data, copy_of):
    _, out, _ = run_pipeline_tool(
        *pipeline_args(tiny_data, copy_of, method='cam'))
    assert 'cam/train' in skipped(out)
    assert {'cam/cams', 'cam/seeds', 'work/crf_labels'} <= ran(out)
    summary = load(osp.join(copy_of, 'summary.json'))
    seeds = load(osp.join(copy_of, 'cam', 'cams', 'seed_eval_train.json'))
    assert summary['method'] == 'cam'
    assert summary['seed_miou'] == seeds['best_miou']
    assert summary['cam_dir'] == osp.join('cam', 'cams')
    manifest = read_manifest(osp.join(copy_of, 'crf_labels'))
    assert manifest['settings']['cams'] == read_manifest(
        osp.join(copy_of, 'cam', 'cams'))['fingerprint']


def test_data_root_switch_reruns_everything(copy_of, tmp_path):
    other = str(tmp_path / 'other_data')
    make_demo_dataset(other, num_train=24, num_val=8,
                      num_classes=TINY_CLASSES, seed=11)
    _, out, _ = run_pipeline_tool(*pipeline_args(other, copy_of))
    assert not skipped(out), out
    summary = load(osp.join(copy_of, 'summary.json'))
    assert summary['data_root'] == other
    seeds = load(osp.join(copy_of, 'recam', 'cams', 'seed_eval_train.json'))
    assert summary['seed_miou'] == seeds['best_miou']
    assert read_manifest(osp.join(copy_of, 'recam', 'cams'))['settings'][
        'source.data_root'] == other


def test_moved_work_dir_reruns_and_reports_its_own_files(
        tiny_data, base_run, copy_of, tmp_path):
    moved = str(tmp_path / 'moved')
    os.rename(copy_of, moved)
    _, out, _ = run_pipeline_tool(*pipeline_args(tiny_data, moved))
    assert set(stage_lines(out)) == skipped(out), out
    summary = load(osp.join(moved, 'summary.json'))
    assert summary['final_miou'] == base_run[1]['final_miou']
    assert summary['pseudo_label_dir'] == 'crf_labels'
    for root, _, files in os.walk(moved):
        for name in files:
            if name.endswith('.json'):
                with open(osp.join(root, name)) as f:
                    text = f.read()
                assert base_run[0] not in text and copy_of not in text, \
                    osp.join(root, name)


def wait_for(path, proc, timeout=300):
    deadline = time.time() + timeout
    while not osp.exists(path):
        assert proc.poll() is None, 'finished before the interruption'
        assert time.time() < deadline, f'{path} never appeared'
        time.sleep(0.05)


def test_training_killed_mid_stage_resumes_to_the_same_weights(
        tiny_data, base_run, tmp_path):
    # Ctrl-C, whose one-line message is checked too (SIGKILL of the
    # generators: tests/test_interruption.py).
    work = str(tmp_path / 'work')
    log = tmp_path / 'stderr.log'
    with open(log, 'w') as stderr:
        proc = subprocess.Popen(
            [sys.executable] + [str(a) for a in pipeline_args(
                tiny_data, work)],
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        wait_for(osp.join(work, 'recam', 'classifier', 'epoch_2.pth'), proc)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    assert proc.returncode == 130
    with open(log) as f:
        err = f.read()
    assert 'Traceback' not in err, err
    line = err.strip().splitlines()[-1]
    assert 'interrupted' in line and 'rerun' in line
    assert 'recam/train' in line and 'cam/train' in line

    _, out, _ = run_pipeline_tool(*pipeline_args(tiny_data, work))
    assert 'recam/train' in stage_lines(out)
    with open(osp.join(work, 'recam', 'logs', 'train.log')) as f:
        assert 'resumed epoch: ' in f.read()
    name = f'epoch_{CAM_EPOCHS}.pth'
    resumed = torch.load(osp.join(work, 'recam', 'classifier', name),
                         map_location='cpu', weights_only=True)
    reference = torch.load(
        osp.join(base_run[0], 'recam', 'classifier', name),
        map_location='cpu', weights_only=True)
    for key, value in reference['state_dict'].items():
        torch.testing.assert_close(resumed['state_dict'][key], value)
    summary = load(osp.join(work, 'summary.json'))
    assert summary['seed_miou'] == base_run[1]['seed_miou']


# Generators: a folder never mixes files of two settings.


def test_make_pseudo_labels_refuses_a_folder_of_other_settings(
        tiny_data, base_run, tmp_path):
    cam_dir = osp.join(base_run[0], 'recam', 'cams')
    out = tmp_path / 'labels'
    common = ('--cam-dir', cam_dir, '--data-root', tiny_data, '--out-dir',
              out)
    run_tool('make_pseudo_labels.py', *common, '--bg-threshold', 0.5)
    err = run_tool('make_pseudo_labels.py', *common, '--bg-threshold', 0.2,
                   expect_ok=False)
    assert 'labels.bg_threshold: 0.5 -> 0.2' in err and '--overwrite' in err
    assert 'Traceback' not in err
    run_tool('make_pseudo_labels.py', *common, '--bg-threshold', 0.2,
             '--overwrite')
    fresh = tmp_path / 'fresh'
    run_tool('make_pseudo_labels.py', '--cam-dir', cam_dir, '--data-root',
             tiny_data, '--out-dir', fresh, '--bg-threshold', 0.2)
    assert load(out / 'pseudo_eval_train.json')['miou'] == load(
        fresh / 'pseudo_eval_train.json')['miou']
    # The same settings resume: nothing is written again.
    again = run_tool('make_pseudo_labels.py', *common, '--bg-threshold', 0.2)
    assert '0 pseudo labels written' in again


def test_make_pseudo_labels_takes_the_pipelines_swept_threshold(
        tiny_data, base_run, tmp_path):
    cam_dir = osp.join(base_run[0], 'recam', 'cams')
    out = run_tool('make_pseudo_labels.py', '--cam-dir', cam_dir,
                   '--data-root', tiny_data, '--out-dir', tmp_path / 'l')
    sweep = load(osp.join(cam_dir, 'seed_eval_train.json'))
    assert (f"bg_threshold = {sweep['best_threshold']} (best threshold of "
            in out), out


def test_make_cams_refuses_a_folder_of_other_settings(
        tiny_data, tiny_checkpoint, tmp_path):
    out = tmp_path / 'cams'
    common = (*tiny_checkpoint, '--out-dir', out, '--data-root', tiny_data,
              '--num-workers', 0)
    run_tool('make_cams.py', *common, '--scales', 1.0)
    run_tool('eval_cams.py', '--cam-dir', out, '--data-root', tiny_data)
    err = run_tool('make_cams.py', *common, '--scales', 1.0, 0.5,
                   expect_ok=False)
    assert 'scales: [1.0] -> [1.0, 0.5]' in err
    run_tool('make_cams.py', *common, '--scales', 1.0, 0.5, '--overwrite')
    # The sweep of the old files went with them.
    assert not osp.exists(out / 'seed_eval_train.json')
    assert read_manifest(str(out))['settings']['scales'] == [1.0, 0.5]


def test_make_sem_seg_labels_keeps_each_folders_evaluation_inside_it(
        tiny_data, tiny_irn, tmp_path):
    config, checkpoint, cam_dir = tiny_irn
    folders = {}
    for exp_times in (2, 3):
        out, scores = tmp_path / f'rw{exp_times}', tmp_path / f's{exp_times}'
        stdout = run_tool('make_sem_seg_labels.py', config, checkpoint,
                          '--cam-dir', cam_dir, '--out-dir', out,
                          '--data-root', tiny_data, '--steps-rule', 'fixed',
                          '--exp-times', exp_times, '--save-scores', scores,
                          '--num-workers', 0)
        assert 'Random-walk label mIoU (saved scores swept)' in stdout
        assert 'Seed mIoU' not in stdout
        folders[exp_times] = out
        for path in (out / 'pseudo_eval_train.json',
                     out / 'score_sweep_train.json',
                     scores / 'seed_eval_train.json'):
            assert osp.isfile(path), path
    assert load(folders[2] / 'pseudo_eval_train.json') != load(
        folders[3] / 'pseudo_eval_train.json')
    err = run_tool('make_sem_seg_labels.py', config, checkpoint, '--cam-dir',
                   cam_dir, '--out-dir', folders[2], '--data-root',
                   tiny_data, '--steps-rule', 'fixed', '--exp-times', 3,
                   '--num-workers', 0,
                   expect_ok=False)
    assert 'walk.exp_times: 2 -> 3' in err and 'Traceback' not in err


def test_make_sem_seg_labels_with_a_cam_config_is_a_one_line_error(
        tiny_data, tiny_checkpoint, tmp_path):
    err = run_tool('make_sem_seg_labels.py', *tiny_checkpoint, '--cam-dir',
                   tmp_path, '--out-dir', tmp_path / 'out', expect_ok=False)
    assert 'Traceback' not in err
    assert len(err.strip().splitlines()) == 1, err
    assert 'make_sem_seg_labels.py: error: ' in err and 'make_cams' in err


def test_internal_errors_keep_their_traceback():
    code = ('from mmwsss.utils import run_tool\n'
            'run_tool(lambda: {}["beta"])')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert 'Traceback' in proc.stderr and "KeyError: 'beta'" in proc.stderr


# The fingerprint and manifest helpers.


def test_changed_settings_name_each_flattened_key():
    old = dict(crf=dict(iterations=10, bi_xy=80), split='train')
    new = dict(crf=dict(iterations=5, bi_xy=80), split='train', extra=1)
    assert flatten_settings(old) == {
        'crf.iterations': 10, 'crf.bi_xy': 80, 'split': 'train'}
    assert changed_settings(old, new) == [('crf.iterations', 10, 5),
                                          ('extra', None, 1)]


def test_portable_paths_make_fingerprints_relocatable(tmp_path):
    root = str(tmp_path / 'work')
    value = dict(a=osp.join(root, 'cam', 'x.pth'), b=['/elsewhere/y'])
    assert portable(value, root) == dict(
        a='{work_dir}/cam/x.pth', b=['/elsewhere/y'])


def test_prepare_output_dir_resumes_refuses_or_starts_over(tmp_path):
    folder = str(tmp_path / 'out')
    prepare_output_dir(folder, dict(threshold=0.5), 'labels')
    with open(osp.join(folder, 'a.png'), 'w') as f:
        f.write('x')
    # Same settings: kept.
    prepare_output_dir(folder, dict(threshold=0.5), 'labels')
    assert osp.isfile(osp.join(folder, 'a.png'))
    with pytest.raises(SettingsChangedError, match='threshold: 0.5 -> 0.2'):
        prepare_output_dir(folder, dict(threshold=0.2), 'labels')
    prepare_output_dir(folder, dict(threshold=0.2), 'labels', overwrite=True)
    assert os.listdir(folder) == ['manifest.json']
    # Files without a manifest are of unknown settings.
    other = str(tmp_path / 'other')
    os.makedirs(other)
    open(osp.join(other, 'b.png'), 'w').close()
    with pytest.raises(SettingsChangedError, match='no record'):
        prepare_output_dir(other, dict(threshold=0.2), 'labels')


@pytest.mark.parametrize('name', sorted(
    n for n in os.listdir(osp.join(REPO_ROOT, 'configs', 'demo'))
    if n.endswith('.py')))
def test_demo_configs_checkpoint_often_enough_to_resume_mid_stage(name):
    from mmwsss.apis import load_config
    cfg = load_config(osp.join('demo', name))
    hook = cfg.default_hooks.checkpoint
    if cfg.train_cfg.get('max_epochs') is not None:
        assert hook.interval == 1, name
    else:
        assert hook.interval <= cfg.train_cfg.max_iters // 8, name
