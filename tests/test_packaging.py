"""A regular (non-editable) install carries mmwsss's configs and tools, as
mmseg's does: built as a wheel, installed away from the source tree and run
from another directory."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO_ROOT, TINY_CLASSES, tiny_cfg_options

# Only what a source distribution holds: no virtualenv, data or outputs.
IGNORED = shutil.ignore_patterns('.git', '.venv', 'data', 'work_dirs',
                                 'build', 'dist', '*.egg-info', '.mim',
                                 '__pycache__', '.pytest_cache', '.whl')

RUN_OUTSIDE = textwrap.dedent('''
    import json, os, sys
    import mmwsss
    from mmengine.config import Config
    from mmwsss.pipeline import run_pipeline
    from mmwsss.datasets import make_demo_dataset

    site, options = sys.argv[1], json.loads(sys.argv[2])
    assert mmwsss.__file__.startswith(site), mmwsss.__file__
    # A user's config inheriting an mmwsss config by package path.
    with open('user_cfg.py', 'w') as f:
        f.write("_base_ = ['mmwsss::demo/cam_r18_demo.py']\\n")
    cfg = Config.fromfile('user_cfg.py')
    assert cfg.model.type == 'CAMClassifier', cfg.model.type
    make_demo_dataset('data', num_train=24, num_val=8,
                      num_classes={classes}, seed=3)
    # The config is found inside the installed package.
    summary = run_pipeline('data', 'work', method='cam', cfg_options=options,
                           targets=['{{seed}}/summary'])
    print('SEED_MIOU', summary['seed_miou'] - summary['background_miou'])
''').format(classes=TINY_CLASSES)


def test_wheel_carries_configs_and_runs_outside_the_repo(tmp_path):
    source = tmp_path / 'source'
    shutil.copytree(REPO_ROOT, source, ignore=IGNORED)
    wheels = tmp_path / 'wheels'
    pip = [sys.executable, '-m', 'pip', '--disable-pip-version-check']
    subprocess.run(
        pip + ['wheel', '--no-deps', '--no-build-isolation', '-q', '-w',
               str(wheels), str(source)],
        check=True, capture_output=True)
    wheel, = os.listdir(wheels)
    site = tmp_path / 'site'
    subprocess.run(
        pip + ['install', '--no-deps', '-q', '--target', str(site),
               str(wheels / wheel)],
        check=True, capture_output=True)
    mim = site / 'mmwsss' / '.mim'
    assert (mim / 'configs' / 'demo' / 'cam_r18_demo.py').is_file()
    assert (mim / 'configs' / '_base_' / 'models' / 'cam_r50.py').is_file()
    assert (mim / 'tools' / 'train.py').is_file()

    run_dir = tmp_path / 'elsewhere'
    run_dir.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run(
        [sys.executable, '-c', RUN_OUTSIDE, str(site),
         __import__('json').dumps(tiny_cfg_options(max_epochs=2))],
        cwd=run_dir, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    gain = float(proc.stdout.split('SEED_MIOU')[-1])
    # Two epochs of the tiny classifier already beat all-background seeds.
    assert gain > 0.5, proc.stdout[-2000:]
    assert not osp.exists(osp.join(REPO_ROOT, 'work')), \
        'the run wrote into the source tree'

    # `mim train mmsegmentation CONFIG` runs mmseg's packaged
    # tools/train.py; it trains an installed mmwsss config as it is (the
    # config's custom_imports load mmwsss).
    import mmseg
    train = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools', 'train.py')
    options = dict(tiny_cfg_options(max_epochs=1))
    options.update({
        f'{loader}.dataset.data_root': str(run_dir / 'data')
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    })
    proc = subprocess.run(
        [sys.executable, train,
         str(mim / 'configs' / 'demo' / 'cam_r18_demo.py'), '--work-dir',
         'mmseg_train', '--cfg-options'] +
        [f'{k}={_cli_value(v)}' for k, v in options.items()],
        cwd=run_dir, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert (run_dir / 'mmseg_train' / 'epoch_1.pth').is_file()


def _cli_value(value):
    """A value as mmengine's ``--cfg-options`` parses it."""
    if isinstance(value, (tuple, list)):
        return '(' + ','.join(str(v) for v in value) + ',)'
    return str(value)


@pytest.mark.parametrize('config', ['demo/cam_r18_demo.py',
                                    'mmwsss::demo/cam_r18_demo.py'])
def test_configs_resolve_by_package_path(config):
    from mmwsss.apis import load_config
    assert load_config(config).model.type == 'CAMClassifier'


def test_model_index_lists_every_metafile():
    import glob

    import yaml
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        listed = yaml.safe_load(f)['Import']
    present = sorted(
        osp.relpath(p, REPO_ROOT)
        for p in glob.glob(
            osp.join(REPO_ROOT, 'configs', '*', 'metafile.yml')))
    assert sorted(listed) == present
    for path in present:
        with open(osp.join(REPO_ROOT, path)) as f:
            for model in yaml.safe_load(f)['Models']:
                assert osp.isfile(osp.join(REPO_ROOT, model['Config'])), \
                    (path, model['Config'])
