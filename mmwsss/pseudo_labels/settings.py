"""Where each pseudo-label setting comes from: the command line, the CAM
folder's threshold sweep, the config of the method that made the CAMs, or
the built-in default, in that order."""
import glob
import json
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

from mmengine.config import Config

from mmwsss.utils import evaluation_is_current
from mmwsss.utils.errors import InputValueError
from .defaults import PSEUDO_LABEL_DEFAULTS

# Config keys of the settings each mode reads: (top-level section, key).
# IRN's ``ir_label_cfg`` names the confident background ``bg_threshold``.
_CONFIG_KEYS = dict(
    argmax=dict(
        bg_mode=[('pseudo_label_cfg', 'bg_mode')],
        bg_threshold=[('pseudo_label_cfg', 'bg_threshold'),
                      ('model.test_cfg', 'bg_threshold')],
        alpha=[('pseudo_label_cfg', 'alpha')]),
    confident=dict(
        fg_threshold=[('ir_label_cfg', 'fg_threshold')],
        low_threshold=[('ir_label_cfg', 'bg_threshold')]),
    psa_affinity=dict(
        low_alpha=[('affinity_label_cfg', 'low_alpha')],
        high_alpha=[('affinity_label_cfg', 'high_alpha')]),
    confident_crf=dict(
        alpha=[('pseudo_label_cfg', 'alpha')],
        min_confidence=[('pseudo_label_cfg', 'min_confidence')]),
    par={})


def seed_eval_path(cam_dir: str, split: str) -> str:
    """Where ``tools/eval_cams.py`` keeps the threshold sweep of
    ``cam_dir`` on ``split``: inside the folder it describes."""
    return osp.join(cam_dir, f'seed_eval_{split}.json')


def find_seed_eval(cam_dir: str,
                   splits: Sequence[str] = ()) -> Optional[str]:
    """The threshold sweep of ``cam_dir``: of the first of ``splits`` that
    has one, else of any split (the first by name); ``None`` if none. A
    sweep made of other files than the folder holds now (its
    ``folder_fingerprint`` is not the folder's) does not count."""
    candidates = [seed_eval_path(cam_dir, s) for s in splits if s]
    candidates += sorted(glob.glob(osp.join(glob.escape(cam_dir),
                                            'seed_eval_*.json')))
    for path in candidates:
        if osp.isfile(path) and evaluation_is_current(path):
            return path
    return None


def _config_value(cfg, section: str, key: str):
    node = cfg
    for part in section.split('.'):
        node = node.get(part, None) if node is not None else None
    return None if node is None else node.get(key, None)


def resolve_pseudo_label_settings(
        mode: str = 'argmax',
        overrides: Optional[Dict] = None,
        cam_dir: Optional[str] = None,
        splits: Sequence[str] = (),
        cfg: Optional[Config] = None) -> Tuple[Dict, Dict[str, str]]:
    """The settings of ``mode`` and where each one came from.

    Every setting is taken from the first source that has it: ``overrides``
    (the command line; ``None`` values do not count); for the constant
    background threshold, the best threshold of the CAM folder's sweep
    (``<cam_dir>/seed_eval_<split>.json`` of ``splits`` first); the
    config's ``pseudo_label_cfg`` (then ``model.test_cfg`` for the
    threshold), ``ir_label_cfg`` for ``'confident'`` (its ``bg_threshold``
    is the confident background) or ``affinity_label_cfg`` for
    ``'psa_affinity'``; else :data:`PSEUDO_LABEL_DEFAULTS`.

    Args:
        mode (str): ``'argmax'``, ``'confident'`` or ``'psa_affinity'``.
        overrides (dict, optional): Values given on the command line.
        cam_dir (str, optional): The CAM folder, to find its sweep.
        splits (Sequence[str]): Splits whose sweep is preferred.
        cfg (Config, optional): The config of the method that made the
            CAMs.

    Returns:
        tuple: ``(settings, sources)``, ``sources`` naming each setting's
        origin for the user.
    """
    if mode not in _CONFIG_KEYS:
        raise InputValueError(
            f'mode must be one of {sorted(_CONFIG_KEYS)}, got '
            f'{mode!r}')
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    name = osp.basename(cfg.filename) if cfg is not None and \
        cfg.filename else 'the config'
    settings, sources = {}, {}
    for key, config_keys in _CONFIG_KEYS[mode].items():
        if key in overrides:
            settings[key], sources[key] = overrides[key], 'command line'
            continue
        if key == 'bg_threshold' and cam_dir is not None:
            sweep = find_seed_eval(cam_dir, splits)
            if sweep is not None:
                with open(sweep) as f:
                    settings[key] = float(json.load(f)['best_threshold'])
                sources[key] = f'best threshold of {sweep}'
                continue
        for section, config_key in config_keys if cfg is not None else ():
            value = _config_value(cfg, section, config_key)
            if value is not None:
                settings[key] = value
                sources[key] = f'{name}: {section}.{config_key}'
                break
        else:
            settings[key] = PSEUDO_LABEL_DEFAULTS[key]
            sources[key] = 'default'
    return settings, sources


def format_sources(settings: Dict, sources: Dict[str, str]) -> str:
    """One line per setting: ``name = value (source)``."""
    return '\n'.join(f'{key} = {settings[key]} ({sources[key]})'
                     for key in settings)
