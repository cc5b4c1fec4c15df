"""What a user meets training by hand on their own data: configs found
from any folder, class counts from the data root, schedules that follow a
shortened run, progress that suits a log file, errors on their own line,
no warnings they cannot act on."""
import io
import logging
import os.path as osp
import warnings

from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmwsss.apis import load_config, resolve_config_path
from mmwsss.apis.data_roots import fit_class_count
from mmwsss.utils.console import console, ensure_new_line
from mmwsss.utils.progress import ProgressBar
from conftest import REPO_ROOT, TINY_CLASSES, run_tool


def test_a_config_path_under_configs_is_found_from_any_folder(
        tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = osp.join(REPO_ROOT, 'configs', 'demo', 'cam_r18_demo.py')
    for name in ('configs/demo/cam_r18_demo.py',
                 './configs/demo/cam_r18_demo.py', 'demo/cam_r18_demo.py'):
        assert osp.samefile(resolve_config_path(name), expected), name


def test_class_counts_follow_the_data_root(tiny_data):
    cfg = load_config('demo/cam_r18_demo.py', data_root=tiny_data)
    assert fit_class_count(cfg, tiny_data) == {
        'model.cam_head.num_classes': TINY_CLASSES}
    assert cfg.model.cam_head.num_classes == TINY_CLASSES
    seg = load_config('demo/encnet_r18_demo.py', data_root=tiny_data)
    fit_class_count(seg, tiny_data)
    assert seg.model.decode_head.num_classes == TINY_CLASSES + 1
    assert seg.model.auxiliary_head.num_classes == TINY_CLASSES + 1
    # A count the user set stays.
    cfg = load_config('demo/cam_r18_demo.py',
                      {'model.cam_head.num_classes': 7})
    assert fit_class_count(cfg, tiny_data,
                           {'model.cam_head.num_classes': 7}) == {}
    assert cfg.model.cam_head.num_classes == 7


def test_train_tool_takes_the_data_root_and_its_classes(tiny_data,
                                                        tmp_path):
    options = ['model.backbone.stem_channels=8',
               'model.backbone.base_channels=8',
               'model.cam_head.in_channels=64', 'train_cfg.max_epochs=1',
               'train_dataloader.batch_size=8']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.num_workers=0',
                    f'{loader}.persistent_workers=False']
    out = run_tool('train.py', 'configs/demo/cam_r18_demo.py', '--data-root',
                   tiny_data, '--work-dir', tmp_path / 'work',
                   '--cfg-options', *options)
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')
    log = open(next((tmp_path / 'work').glob('*/*.log'))).read()
    assert f'model.cam_head.num_classes = {TINY_CLASSES}' in out + log


def test_a_schedule_ending_after_a_shortened_run_is_named():
    stream = io.StringIO()
    logger = MMLogger.get_current_instance()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        cfg = load_config('demo/cam_r18_demo.py', {'train_cfg.max_epochs': 2})
        # Ended with the run, nothing to say.
        load_config('demo/cam_r18_demo.py', {
            'train_cfg.max_epochs': 2,
            'param_scheduler.0.end': 2
        })
    finally:
        logger.removeHandler(handler)
    assert cfg.param_scheduler[0]['end'] == 30
    assert stream.getvalue().count('param_scheduler.0.end is') == 1
    assert 'param_scheduler.0.end is 30 but train_cfg.max_epochs is 2' in \
        stream.getvalue()
    assert 'add param_scheduler.0.end=2' in stream.getvalue()


def test_progress_off_a_terminal_writes_a_line_now_and_then():
    stream = io.StringIO()
    bar = ProgressBar(500, file=stream)
    for _ in range(500):
        bar.update()
    lines = stream.getvalue().splitlines()
    assert 10 <= len(lines) <= 11 and lines[-1].startswith('500/500 done')
    assert '\r' not in stream.getvalue()


def test_an_error_after_an_open_progress_line_starts_its_own(capfd):
    console('cam/train ...', end='')
    ensure_new_line()
    ensure_new_line()
    assert capfd.readouterr().out == 'cam/train ...\n'


def test_mmseg_deprecation_notes_are_not_shown():
    init_default_scope('mmseg')
    with warnings.catch_warnings(record=True) as caught:
        MODELS.build(load_config('demo/encnet_r18_demo.py').model)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if 'build_loss' in m or
                'avg_non_ignore' in m], messages
