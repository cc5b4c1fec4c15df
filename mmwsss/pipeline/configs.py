"""Pipeline configs: the lookup of a method's config under a preset, and a
config with the overrides of ``tools/run_pipeline.py``."""
import glob
import os.path as osp
from typing import List, Optional

from mmengine.config import Config

from mmwsss.apis import load_config
from mmwsss.apis.config import CONFIG_ROOT
from mmwsss.utils.errors import InputValueError

#: The folder of the method pipeline configs, ``<method>_<preset>.py``.
PIPELINE_CONFIG_DIR = 'pipelines'

#: The presets, by the suffix of their pipeline configs.
PRESETS = ('demo', 'voc', 'coco')

#: What the labels a segmentor trains on can come from.
REFINE_CHOICES = ('crf', 'irn', 'irn+crf', 'psa', 'psa+crf', 'sec',
                  'crf+merge', 'irn+merge', 'irn+crf+merge', 'psa+merge',
                  'psa+crf+merge', 'par', 'par+merge')

# The order in which tables list the methods that ship with mmwsss
# (chronological families); a method added by a config alone comes after
# them, by name.
_LISTING_ORDER = ('cam', 'gradcam', 'gradcam++', 'recam', 'adl', 'cse',
                  'hide_and_seek', 'adl+recam', 'acol', 'mdc', 'seam', 'ae',
                  'sec', 'clip_es', 'toco')


def method_names(preset: str) -> List[str]:
    """The methods with a pipeline config for ``preset``."""
    suffix = f'_{preset}.py'
    names = [
        osp.basename(path)[:-len(suffix)] for path in glob.glob(
            osp.join(CONFIG_ROOT, PIPELINE_CONFIG_DIR, '*' + suffix))
    ]
    return sorted(
        names,
        key=lambda n: (_LISTING_ORDER.index(n)
                       if n in _LISTING_ORDER else len(_LISTING_ORDER), n))


def pipeline_config_path(method: str, preset: str) -> str:
    """The pipeline config of ``method`` under ``preset``, relative to
    ``configs/``."""
    if preset not in PRESETS:
        raise InputValueError(f'unknown preset {preset!r}; choose from '
                              f'{list(PRESETS)}')
    names = method_names(preset)
    if method not in names:
        raise InputValueError(
            f'method {method!r} has no {preset!r} pipeline config '
            f'(configs/{PIPELINE_CONFIG_DIR}/{method}_{preset}.py); with '
            f'one: {names}')
    return osp.join(PIPELINE_CONFIG_DIR, f'{method}_{preset}.py')


def seed_config(method: str, preset: str) -> str:
    """The stage-1 config that ``method``'s own training stage trains
    under ``preset`` (its pipeline config's ``seed_config``)."""
    return load_config(pipeline_config_path(method, preset)).seed_config


def build_pipeline_config(config: Optional[str] = None,
                          method: Optional[str] = None,
                          preset: str = 'demo',
                          refine: Optional[str] = None,
                          bg_rule: Optional[str] = None,
                          full_supervision: bool = False,
                          pseudo_label_cfg: Optional[dict] = None,
                          seg_config: Optional[str] = None,
                          cfg_options: Optional[dict] = None,
                          seg_cfg_options: Optional[dict] = None,
                          refine_cfg_options: Optional[dict] = None,
                          options: Optional[dict] = None) -> Config:
    """A pipeline config, by path or by ``method`` and ``preset``, with the
    overrides of ``tools/run_pipeline.py``.

    Args:
        config (str, optional): A pipeline config; default the one of
            ``method`` under ``preset``.
        method (str, optional): The method (default ``'recam'``).
        preset (str): ``'demo'``, ``'voc'`` or ``'coco'``.
        refine (str, optional): One of :data:`REFINE_CHOICES`; default the
            config's (the method's paper's).
        bg_rule (str, optional): ``'swept'`` or ``'config'``.
        full_supervision (bool): Also train the segmentor on the true
            masks.
        pseudo_label_cfg (dict, optional): Settings of the CRF labels
            (``bg_threshold``, ``mode``, ``crf``, ``saliency_dir``).
        seg_config (str, optional): The segmentation config.
        cfg_options (dict, optional): Overrides of the stage-1 configs.
        seg_cfg_options (dict, optional): Overrides of the segmentation
            config.
        refine_cfg_options (dict, optional): Overrides of the IRN /
            AffinityNet config.
        options (dict, optional): Overrides of the pipeline config itself,
            as ``--cfg-options`` (``stages.crf_labels.split=seed``).
    """
    cfg = load_config(config or pipeline_config_path(method or 'recam',
                                                     preset))
    cfg.pop('work_dir', None)
    overrides = dict(options or {})
    if refine is not None:
        overrides['refine'] = refine
    if bg_rule is not None:
        overrides['bg_rule'] = bg_rule
    if full_supervision:
        overrides['stages.summary.full_supervision'] = 'full_supervision'
    if seg_config is not None:
        overrides['seg_config'] = seg_config
    for key, value in (pseudo_label_cfg or {}).items():
        overrides[f'stages.crf_labels.settings.{key}'] = value
    for key, given in (('seed_cfg_options', cfg_options),
                       ('seg_cfg_options', seg_cfg_options),
                       ('refine_cfg_options', refine_cfg_options)):
        if given:
            overrides[key] = dict(cfg.get(key, None) or {}, **given)
    cfg.merge_from_dict(overrides)
    check_refine(cfg)
    return cfg


def check_refine(cfg: Config) -> None:
    """Raise unless the config's ``refine`` is known and its stages are in
    the config."""
    refine = cfg.get('refine')
    if refine not in REFINE_CHOICES:
        raise InputValueError(f'refine must be one of {list(REFINE_CHOICES)}'
                              f', got {refine!r}')
    stage = refine.replace('+', '_') + '_labels'
    # A walk's stages come from its base (configs/_base_/pipelines), which
    # a preset without its configs (coco) does not inherit.
    walk = refine.split('+')[0] in ('irn', 'psa')
    # So are the merges' and PAR's (crf.py), which a user's config may lack.
    own = refine.endswith('+merge') or refine == 'par'
    if (walk or own) and stage not in (cfg.get('stages', None) or {}):
        raise InputValueError(
            f"refine {refine!r} has no {cfg.get('preset')!r} config: "
            f'{cfg.filename} has no stage {stage!r}; use refine=\'crf\'')
