"""Config loading: paths under ``configs/`` (or the installed package's),
``mmwsss::`` prefixes, overrides and data roots."""
import logging
import os.path as osp
from typing import Dict, Optional, Union

from mmengine.config import Config
from mmengine.logging import print_log

from mmwsss.utils.errors import InputFileNotFoundError

PACKAGE_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# A source checkout (setup.py beside the package) uses its own configs, so
# that edits take effect; an installed package carries them in
# ``.mim/configs`` as mmseg's does.
_SOURCE_ROOT = osp.dirname(PACKAGE_ROOT)
if osp.isfile(osp.join(_SOURCE_ROOT, 'setup.py')) and osp.isdir(
        osp.join(_SOURCE_ROOT, 'configs')):
    CONFIG_ROOT = osp.join(_SOURCE_ROOT, 'configs')
else:
    CONFIG_ROOT = osp.join(PACKAGE_ROOT, '.mim', 'configs')

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def resolve_config_path(config: str) -> str:
    """Find ``config`` as given, else under mmwsss's configs (``mmwsss::``
    prefixes allowed), so that an installed mmwsss runs from any
    directory."""
    if osp.isfile(config):
        return config
    name = config.split('::', 1)[1] if config.startswith('mmwsss::') \
        else config
    # configs/demo/x.py given from another folder names demo/x.py.
    for prefix in ('./configs/', 'configs/'):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    candidate = osp.join(CONFIG_ROOT, name)
    if osp.isfile(candidate):
        return candidate
    raise InputFileNotFoundError(
        f'config not found: {config} (looked here and in {CONFIG_ROOT})')


def load_config(config: Union[str, Config],
                cfg_options: Optional[Dict] = None,
                work_dir: Optional[str] = None,
                data_root: Optional[str] = None) -> Config:
    """Load a config the way ``tools/train.py`` and ``tools/test.py`` do.

    Args:
        config (str | Config): Path (absolute, relative, or under
            ``configs/``) or a loaded config.
        cfg_options (dict, optional): Overrides, as ``--cfg-options``.
        work_dir (str, optional): Work directory; default
            ``./work_dirs/<config name>``.
        data_root (str, optional): Replaces the data root of every
            dataloader's dataset.
    """
    if isinstance(config, Config):
        cfg = config.copy()
        name = cfg.filename and osp.splitext(osp.basename(cfg.filename))[0]
    else:
        path = resolve_config_path(config)
        cfg = Config.fromfile(path)
        name = osp.splitext(osp.basename(path))[0]
    if cfg_options:
        lengths = {
            key: (cfg.get('train_cfg', None) or {}).get(key)
            for key in ('max_epochs', 'max_iters')
        }
        cfg.merge_from_dict(cfg_options)
        for key, before in lengths.items():
            if f'train_cfg.{key}' in cfg_options and before is not None:
                follow_schedule(cfg, key, before,
                                cfg_options[f'train_cfg.{key}'])
    if data_root is not None:
        for key in DATALOADERS:
            if cfg.get(key) is not None:
                cfg[key].dataset.data_root = data_root
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', name or 'default')
    # A named visualizer is a process-wide singleton; without the name every
    # Runner gets its own, logging to its own work_dir.
    if cfg.get('visualizer') is not None:
        cfg.visualizer.pop('name', None)
    return cfg


def follow_schedule(cfg: Config, key: str, before: int, after: int) -> None:
    """Warn about each parameter scheduler (in the unit of
    ``train_cfg.<key>``) that ends after the run that overrides shortened
    from ``before`` to ``after``, naming the option that ends it with the
    run. The schedule is left as set: a shortened run is often a smoke test
    of the config's own schedule."""
    by_epoch = key == 'max_epochs'
    schedulers = cfg.get('param_scheduler', None) or []
    schedulers = schedulers if isinstance(schedulers, list) else [schedulers]
    for index, scheduler in enumerate(schedulers):
        if scheduler.get('by_epoch', True) != by_epoch:
            continue
        end = scheduler.get('end')
        if end is not None and end > after:
            print_log(
                f'param_scheduler.{index}.end is {end} but train_cfg.{key} '
                f'is {after}: the schedule ({scheduler.get("type")}) stops '
                f'before it ends; add param_scheduler.{index}.end={after} to '
                'end it with the run',
                logger='current', level=logging.WARNING)
