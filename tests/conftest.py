import os.path as osp

import pytest
from mmengine.registry import init_default_scope

import mmwsss  # noqa: F401
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
