"""The CAM and pseudo-label tools: help with defaults, settings taken from
the method's config and the CAM folder's threshold sweep (command line
first), results kept inside the folder they describe, the data root
checked before the work, and reruns that say what already existed."""
import importlib.util
import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

from mmwsss.apis import load_config
from mmwsss.cams import load_cam_file
from mmwsss.pseudo_labels import (PSEUDO_LABEL_DEFAULTS,
                                  generate_pseudo_labels,
                                  resolve_pseudo_label_settings)
from mmwsss.utils import folder_fingerprint, load_label_png
from conftest import REPO_ROOT, dump_tiny_config


def load_tool(name):
    path = osp.join(REPO_ROOT, 'tools', name + '.py')
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('name',
                         ['make_cams', 'eval_cams', 'make_pseudo_labels'])
def test_every_option_has_help_with_its_default(name):
    parser = load_tool(name).build_parser()
    for action in parser._actions:
        if action.dest == 'help' or not action.option_strings:
            continue
        assert action.help, f'{name} {action.option_strings}: no help'
        if not action.required:
            assert 'default' in action.help, \
                f'{name} {action.option_strings}: default not stated'
    text = parser.format_help()
    assert 'default: None' not in text and '%(default)' not in text


@pytest.fixture(scope='module')
def val_cams(tiny_data, tiny_checkpoint, tmp_path_factory):
    """CAM files of the tiny val split, written by the tool."""
    cam_dir = str(tmp_path_factory.mktemp('tool_cams') / 'cams')
    written = load_tool('make_cams').main([
        *tiny_checkpoint, '--out-dir', cam_dir, '--data-root', tiny_data,
        '--split', 'val', '--scales', '1.0', '0.5', '--num-workers', '0'
    ])
    assert written == 8
    return cam_dir


def test_make_cams_rerun_says_what_existed(tiny_data, tiny_checkpoint,
                                           val_cams, capsys):
    written = load_tool('make_cams').main([
        *tiny_checkpoint, '--out-dir', val_cams, '--data-root', tiny_data,
        '--split', 'val', '--scales', '1.0', '0.5', '--num-workers', '0'
    ])
    out = capsys.readouterr().out
    assert written == 0
    assert f'8 of 8 CAM files are already in {val_cams}; writing 0' in out
    assert f'0 CAM files written to {val_cams}' in out


def test_gradcam_norm_from_config_or_command_line(tiny_data, tiny_checkpoint,
                                                  tmp_path):
    make_cams = load_tool('make_cams').main
    common = [*tiny_checkpoint, '--data-root', tiny_data, '--split', 'val',
              '--scales', '1.0', '0.5', '--num-workers', '0', '--method',
              'gradcam']
    make_cams(common + ['--out-dir', str(tmp_path / 'minmax')])
    make_cams(common + ['--out-dir', str(tmp_path / 'flag'),
                        '--gradcam-norm', 'none'])
    make_cams(common + ['--out-dir', str(tmp_path / 'config'),
                        '--cfg-options', 'model.test_cfg.gradcam_norm=none'])
    # The command line beats the config.
    make_cams(common + ['--out-dir', str(tmp_path / 'both'),
                        '--gradcam-norm', 'minmax', '--cfg-options',
                        'model.test_cfg.gradcam_norm=none'])

    def maps(folder):
        return load_cam_file(str(tmp_path / folder /
                                 'val_00024.npy'))['high_res']

    np.testing.assert_array_equal(maps('flag'), maps('config'))
    np.testing.assert_array_equal(maps('minmax'), maps('both'))
    assert np.abs(maps('minmax') - maps('flag')).max() > 1e-3
    with pytest.raises(SystemExit):
        make_cams(common + ['--out-dir', str(tmp_path / 'x'),
                            '--gradcam-norm', 'l2'])


def test_eval_cams_writes_inside_each_cam_folder(tiny_data, val_cams,
                                                 tmp_path):
    eval_cams = load_tool('eval_cams').main
    # Two CAM folders side by side keep their own results.
    other = tmp_path / 'other_cams'
    shutil.copytree(val_cams, other)
    for name in [n for n in os.listdir(other) if n.endswith('.npy')]:
        cam = load_cam_file(str(other / name))
        np.save(other / name, dict(keys=cam['keys'],
                                   high_res=cam['high_res'] ** 4))
    first = eval_cams(['--cam-dir', val_cams, '--data-root', tiny_data,
                       '--split', 'val'])
    second = eval_cams(['--cam-dir', str(other), '--data-root', tiny_data,
                        '--split', 'val'])
    for folder, result in ((val_cams, first), (str(other), second)):
        with open(osp.join(folder, 'seed_eval_val.json')) as f:
            written = json.load(f)
        # Inside the folder: its path relative to it, with its fingerprint.
        expected = dict(json.loads(json.dumps(result)),
                        folder_fingerprint=folder_fingerprint(folder))
        expected['cam_dir'] = '.'
        assert written == expected
    assert first['miou_by_threshold'] != second['miou_by_threshold']
    assert not osp.exists(osp.join(osp.dirname(val_cams),
                                   'seed_eval_val.json'))


def test_eval_cams_checks_the_data_root_first(tiny_data, tmp_path, capsys):
    eval_cams = load_tool('eval_cams').main
    missing_cams = str(tmp_path / 'no_cams')
    with pytest.raises(FileNotFoundError, match='data root not found'):
        eval_cams(['--cam-dir', missing_cams, '--data-root',
                   str(tmp_path / 'nowhere')])
    with pytest.raises(FileNotFoundError,
                       match=r"missing \['ImageSets/Segmentation/test.txt'"):
        eval_cams(['--cam-dir', missing_cams, '--data-root', tiny_data,
                   '--split', 'test'])
    with pytest.raises(FileNotFoundError, match='no ground-truth folder'):
        eval_cams(['--cam-dir', missing_cams, '--data-root', tiny_data,
                   '--seg-map-dir', 'SegmentationClassAug'])
    with pytest.raises(FileNotFoundError, match='CAM directory not found'):
        eval_cams(['--cam-dir', missing_cams, '--data-root', tiny_data])


def labels_of(folder):
    return {
        name: load_label_png(osp.join(folder, name))
        for name in sorted(os.listdir(folder)) if name.endswith('.png')
    }


def test_background_threshold_order(tiny_data, val_cams, tmp_path, capsys):
    """Command line, then the CAM folder's sweep, then the config's
    pseudo_label_cfg, then its model.test_cfg, then the default."""
    make_labels = load_tool('make_pseudo_labels').main
    cam_dir = str(tmp_path / 'cams')
    shutil.copytree(val_cams, cam_dir, ignore=shutil.ignore_patterns(
        'seed_eval_*.json'))
    plain = dump_tiny_config(tiny_data, tmp_path / 'plain.py')
    cfg = load_config(plain)
    cfg.pseudo_label_cfg = dict(bg_threshold=0.42)
    cfg.dump(str(tmp_path / 'with_pseudo.py'))
    common = ['--cam-dir', cam_dir, '--data-root', tiny_data, '--split',
              'val', '--num-workers', '1']

    def run(name, *extra):
        out_dir = str(tmp_path / name)
        make_labels(common + ['--out-dir', out_dir, *extra])
        return out_dir, capsys.readouterr().out

    out_dir, out = run('default')
    assert 'bg_threshold = 0.15 (default)' in out
    out_dir, out = run('test_cfg', '--config', plain)
    # The tiny demo config's model.test_cfg.bg_threshold.
    assert 'bg_threshold = 0.3 (plain.py: model.test_cfg.bg_threshold)' \
        in out
    reference = str(tmp_path / 'reference_0.3')
    generate_pseudo_labels(cam_dir, tiny_data, 'val', reference,
                           bg_threshold=0.3, num_workers=1, progress=False)
    assert labels_of(out_dir).keys() == labels_of(reference).keys()
    for name, label in labels_of(reference).items():
        np.testing.assert_array_equal(labels_of(out_dir)[name], label)
    _, out = run('pseudo_cfg', '--config', str(tmp_path / 'with_pseudo.py'))
    assert ('bg_threshold = 0.42 (with_pseudo.py: '
            'pseudo_label_cfg.bg_threshold)') in out
    # The sweep of this CAM folder beats the config.
    load_tool('eval_cams').main(['--cam-dir', cam_dir, '--data-root',
                                 tiny_data, '--split', 'val'])
    with open(osp.join(cam_dir, 'seed_eval_val.json')) as f:
        best = json.load(f)['best_threshold']
    _, out = run('sweep', '--config', str(tmp_path / 'with_pseudo.py'))
    assert (f'bg_threshold = {best} (best threshold of '
            f'{osp.join(cam_dir, "seed_eval_val.json")})') in out
    _, out = run('cli', '--config', str(tmp_path / 'with_pseudo.py'),
                 '--bg-threshold', '0.55')
    assert 'bg_threshold = 0.55 (command line)' in out
    # Results stay inside the label folder.
    assert osp.isfile(tmp_path / 'cli' / 'pseudo_eval_val.json')
    assert not osp.exists(tmp_path / 'pseudo_eval_val.json')


def test_confident_region_and_affinity_settings_from_config(
        tiny_data, tmp_path):
    cfg = load_config(dump_tiny_config(tiny_data, tmp_path / 'plain.py'))
    cfg.ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
    cfg.affinity_label_cfg = dict(low_alpha=3)
    cfg.dump(str(tmp_path / 'method.py'))
    cfg = load_config(str(tmp_path / 'method.py'))
    settings, sources = resolve_pseudo_label_settings('confident', cfg=cfg)
    assert settings == dict(fg_threshold=0.35, low_threshold=0.10)
    assert sources['low_threshold'] == 'method.py: ir_label_cfg.bg_threshold'
    settings, _ = resolve_pseudo_label_settings(
        'confident', dict(fg_threshold=0.5, low_threshold=None), cfg=cfg)
    assert settings == dict(fg_threshold=0.5, low_threshold=0.10)
    settings, sources = resolve_pseudo_label_settings('psa_affinity',
                                                      cfg=cfg)
    assert settings == dict(low_alpha=3, high_alpha=32.0)
    assert sources['high_alpha'] == 'default'
    settings, _ = resolve_pseudo_label_settings('argmax')
    assert settings == {
        k: PSEUDO_LABEL_DEFAULTS[k]
        for k in ('bg_mode', 'bg_threshold', 'alpha')
    }
    with pytest.raises(ValueError, match='mode must be'):
        resolve_pseudo_label_settings('other')


def test_confident_region_tool_uses_ir_label_cfg(tiny_data, val_cams,
                                                 tmp_path, capsys):
    cfg = load_config(dump_tiny_config(tiny_data, tmp_path / 'plain.py'))
    cfg.ir_label_cfg = dict(fg_threshold=0.6, bg_threshold=0.2)
    cfg.dump(str(tmp_path / 'method.py'))
    out_dir = str(tmp_path / 'ir')
    load_tool('make_pseudo_labels').main([
        '--cam-dir', val_cams, '--data-root', tiny_data, '--split', 'val',
        '--out-dir', out_dir, '--confident-region', '--config',
        str(tmp_path / 'method.py'), '--num-workers', '1'
    ])
    out = capsys.readouterr().out
    assert 'fg_threshold = 0.6 (method.py: ir_label_cfg.fg_threshold)' in out
    assert 'low_threshold = 0.2 (method.py: ir_label_cfg.bg_threshold)' in out
    reference = str(tmp_path / 'reference')
    generate_pseudo_labels(val_cams, tiny_data, 'val', reference,
                           mode='confident', fg_threshold=0.6,
                           low_threshold=0.2, num_workers=1, progress=False)
    for name, label in labels_of(reference).items():
        np.testing.assert_array_equal(labels_of(out_dir)[name], label)


def test_make_pseudo_labels_checks_first_and_reports_reruns(
        tiny_data, val_cams, tmp_path, capsys):
    make_labels = load_tool('make_pseudo_labels').main
    out_dir = str(tmp_path / 'labels')
    common = ['--cam-dir', val_cams, '--split', 'val', '--out-dir', out_dir,
              '--num-workers', '1']
    with pytest.raises(FileNotFoundError, match='data root not found'):
        make_labels(common + ['--data-root', str(tmp_path / 'nowhere')])
    # An evaluation split that does not exist fails before any label.
    with pytest.raises(FileNotFoundError, match='test.txt'):
        make_labels(common + ['--data-root', tiny_data, '--eval-split',
                              'test'])
    with pytest.raises(ValueError, match='choose one'):
        make_labels(common + ['--data-root', tiny_data,
                              '--confident-region', '--affinity-labels'])
    assert not osp.exists(out_dir)
    capsys.readouterr()
    make_labels(common + ['--data-root', tiny_data])
    assert '8 pseudo labels written' in capsys.readouterr().out
    os.remove(osp.join(out_dir, 'val_00026.png'))
    make_labels(common + ['--data-root', tiny_data])
    out = capsys.readouterr().out
    assert f'7 of 8 pseudo labels are already in {out_dir}; writing 1' in out
    make_labels(common + ['--data-root', tiny_data])
    out = capsys.readouterr().out
    assert f'8 of 8 pseudo labels are already in {out_dir}; writing 0' in out
    assert '0 pseudo labels written' in out


def test_make_pseudo_labels_with_saliency_maps(tiny_data, val_cams,
                                               tmp_path, capsys):
    saliency_dir = tmp_path / 'saliency'
    os.makedirs(saliency_dir)
    for img_id in [f'val_{i:05d}' for i in range(24, 32)]:
        gt = load_label_png(
            osp.join(tiny_data, 'SegmentationClass', img_id + '.png'))
        Image.fromarray(((gt > 0) * 255).astype(np.uint8)).resize(
            (32, 32)).save(saliency_dir / f'{img_id}.png')
    make_labels = load_tool('make_pseudo_labels').main
    common = ['--cam-dir', val_cams, '--data-root', tiny_data, '--split',
              'val', '--num-workers', '1', '--bg-threshold', '0.3']
    plain = make_labels(common + ['--out-dir', str(tmp_path / 'plain')])
    guided = make_labels(common + [
        '--out-dir', str(tmp_path / 'guided'), '--saliency-dir',
        str(saliency_dir), '--saliency-cfg', 'min_foreground_ratio=0'
    ])
    assert guided['mean_precision'] > plain['mean_precision']
    os.remove(saliency_dir / 'val_00030.png')
    with pytest.raises(FileNotFoundError, match=r'val_00030\.png'):
        make_labels(common + ['--out-dir', str(tmp_path / 'missing'),
                              '--saliency-dir', str(saliency_dir)])
    assert not osp.exists(tmp_path / 'missing')
