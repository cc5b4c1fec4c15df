import os.path as osp
import subprocess
import sys

import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmwsss  # noqa: F401
from mmwsss.apis import load_config
from mmwsss.datasets import make_demo_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'cam_r18_demo.py')
TINY_CLASSES = 3


def no_worker_options():
    """Load data in the main process: fast and quiet for tiny runs."""
    options = {}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
    return options


def tiny_cfg_options(max_epochs=2):
    """Shrink the demo config so that a run takes seconds on a CPU."""
    options = {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.cam_head.in_channels': 64,
        'model.cam_head.num_classes': TINY_CLASSES,
        'model.test_cfg.scales': (1.0, 0.5),
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': max_epochs,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 3,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': 8,
    }
    options.update(no_worker_options())
    return options


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """24 train and 8 val generated images of 3 classes, in VOC layout."""
    root = str(tmp_path_factory.mktemp('tiny_demo'))
    make_demo_dataset(
        root, num_train=24, num_val=8, num_classes=TINY_CLASSES, seed=3)
    return root


def run_tool(name, *args, expect_ok=True):
    """Run ``tools/<name>`` in a subprocess; return stdout, or, with
    ``expect_ok=False``, assert a non-zero exit and return stderr."""
    proc = subprocess.run([sys.executable,
                           osp.join(REPO_ROOT, 'tools', name)] +
                          [str(a) for a in args],
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT)
    output = proc.stdout[-3000:] + proc.stderr[-3000:]
    if expect_ok:
        assert proc.returncode == 0, output
        return proc.stdout
    assert proc.returncode != 0, output
    return proc.stderr


def dump_tiny_config(tiny_data, path, max_epochs=2):
    """The tiny demo config as a file, for the tools."""
    cfg = load_config(
        DEMO_CONFIG, tiny_cfg_options(max_epochs), data_root=tiny_data)
    cfg.dump(str(path))
    return str(path)


@pytest.fixture(scope='session')
def tiny_checkpoint(tiny_data, tmp_path_factory):
    """``(config, checkpoint)`` of a tiny CAM classifier trained one epoch
    on ``tiny_data``."""
    work = tmp_path_factory.mktemp('tiny_cam')
    config = dump_tiny_config(tiny_data, work / 'tiny.py', max_epochs=1)
    init_default_scope('mmseg')
    Runner.from_cfg(load_config(config, work_dir=str(work))).train()
    return config, str(work / 'epoch_1.pth')
