import os
import os.path as osp
import signal
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


# A tool that runs longer than this is stuck: its threads' tracebacks are
# dumped (faulthandler on SIGABRT) and the test fails with them.
TOOL_TIMEOUT_S = 900


def run_tool(name, *args, expect_ok=True):
    """Run ``tools/<name>`` in a subprocess; return stdout, or, with
    ``expect_ok=False``, assert a non-zero exit and return stderr."""
    proc = subprocess.Popen(
        [sys.executable, osp.join(REPO_ROOT, 'tools', name)] +
        [str(a) for a in args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env=dict(os.environ, PYTHONFAULTHANDLER='1'))
    try:
        stdout, stderr = proc.communicate(timeout=TOOL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        stdout, stderr = proc.communicate()
        pytest.fail(f'{name} {" ".join(map(str, args))} ran over '
                    f'{TOOL_TIMEOUT_S} s; its tracebacks:\n{stderr[-6000:]}')
    output = stdout[-3000:] + stderr[-3000:]
    if expect_ok:
        assert proc.returncode == 0, output
        return stdout
    assert proc.returncode != 0, output
    return stderr


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


def tiny_irn_options(label_dir, max_epochs=3):
    """The demo IRN config on the tiny CAM classifier's backbone widths."""
    options = {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.boundary_head.in_channels': (8, 8, 16, 32, 64),
        'model.boundary_head.num_classes': TINY_CLASSES + 1,
        'train_dataloader.batch_size': 8,
        'train_dataloader.dataset.pseudo_label_dir': str(label_dir),
        'train_cfg.max_epochs': max_epochs,
        'param_scheduler.0.end': max_epochs,
        'default_hooks.checkpoint.interval': max_epochs,
        'default_hooks.logger.interval': 1,
    }
    options.update(no_worker_options())
    return options


@pytest.fixture(scope='session')
def tiny_irn(tiny_data, tiny_checkpoint, tmp_path_factory):
    """``(config, checkpoint, cam_dir)``: the tiny CAM classifier's CAM
    files of the train split, IR labels from them and a tiny IRN trained on
    those labels from the classifier's backbone, as run_pipeline does."""
    from mmwsss.apis import make_cams
    from mmwsss.pseudo_labels import CRF_DEFAULTS, generate_pseudo_labels
    work = tmp_path_factory.mktemp('tiny_irn')
    cam_dir, label_dir = work / 'cams', work / 'ir_labels'
    make_cams(*tiny_checkpoint, str(cam_dir), data_root=tiny_data,
              scales=(1.0, 0.5), num_workers=0, progress=False)
    generate_pseudo_labels(
        str(cam_dir), tiny_data, 'train', str(label_dir), mode='confident',
        fg_threshold=0.30, low_threshold=0.05, crf=CRF_DEFAULTS,
        num_workers=0, progress=False)
    cfg = load_config(
        osp.join(REPO_ROOT, 'configs', 'demo', 'irn_r18_demo.py'),
        tiny_irn_options(label_dir), work_dir=str(work / 'irn'),
        data_root=tiny_data)
    cfg.load_from = tiny_checkpoint[1]
    config = str(work / 'irn.py')
    cfg.dump(config)
    init_default_scope('mmseg')
    Runner.from_cfg(cfg).train()
    return config, str(work / 'irn' / 'epoch_3.pth'), str(cam_dir)


def write_blurred_cams(data_root, cam_dir, sigma=6):
    """CAM files of the train split made by blurring each true object
    (Gaussian, ``sigma`` pixels) and dividing by the maximum: seeds whose
    edges a refinement must find."""
    import numpy as np
    from PIL import Image
    from scipy import ndimage as nd

    from mmwsss.cams import save_cam_file
    os.makedirs(cam_dir, exist_ok=True)
    split = osp.join(data_root, 'ImageSets', 'Segmentation', 'train.txt')
    for img_id in open(split).read().split():
        mask = np.asarray(Image.open(
            osp.join(data_root, 'SegmentationClass', img_id + '.png')))
        keys = [k for k in range(TINY_CLASSES) if (mask == k + 1).any()]
        maps = [nd.gaussian_filter((mask == k + 1).astype(np.float32),
                                   sigma) for k in keys]
        save_cam_file(osp.join(cam_dir, img_id + '.npy'), keys,
                      np.stack([m / m.max() for m in maps]))
