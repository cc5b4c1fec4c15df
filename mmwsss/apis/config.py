"""Config loading: paths under ``configs/`` (or the installed package's),
``mmwsss::`` prefixes, overrides and data roots."""
import os.path as osp
from typing import Dict, Optional, Union

from mmengine.config import Config

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
        cfg.merge_from_dict(cfg_options)
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
