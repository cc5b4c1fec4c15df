"""Settings of an affinity refinement (IRN's boundary network, PSA's
AffinityNet): its network config, its training labels and its random
walk, each read from the refinement's config and then the seed method's
(ReCAM's paper uses its own thresholds)."""
from mmengine.config import Config

from mmwsss.apis import load_config
from mmwsss.pseudo_labels import (CRF_DEFAULTS, RANDOM_WALK_DEFAULTS,
                                  check_random_walk_settings,
                                  resolve_pseudo_label_settings)
from mmwsss.utils.errors import InputKeyError
from .base import PipelineContext

#: The walks, and the config key of their training-label settings and the
#: pseudo-label mode that makes those labels.
WALKS = dict(
    irn=dict(labels='ir_label_cfg', mode='confident'),
    psa=dict(labels='affinity_label_cfg', mode='psa_affinity'))


def check_walk(walk: str, owner: str) -> None:
    """Raise naming ``owner`` unless ``walk`` is a known walk."""
    if walk not in WALKS:
        raise InputKeyError(f'{owner}: walk must be one of {sorted(WALKS)}, '
                            f'got {walk!r}')


def network_config(ctx: PipelineContext, config: str) -> Config:
    """The affinity network's config on the data root, with the
    pipeline's ``refine_cfg_options``."""
    return load_config(config, ctx.setting('refine_cfg_options') or None,
                       data_root=ctx.data_root)


def seed_method_config(ctx: PipelineContext) -> Config:
    """The config of the seed method (top-level ``seed_config``)."""
    seed_config = ctx.setting('seed_config')
    if seed_config is None:
        raise InputKeyError(
            f'{ctx.cfg.filename}: seed_config (the seed method\'s config) '
            'is not set; refinements read their thresholds from it')
    return load_config(seed_config)


def training_label_settings(ctx: PipelineContext, walk: str,
                            config: str) -> dict:
    """:func:`~mmwsss.pseudo_labels.generate_pseudo_labels` settings of the
    network's training labels: IRN's confident regions (CRF-refined
    foreground above ``fg_threshold``, background below ``bg_threshold``,
    255 between) or PSA's two power-background CRF maps. Each value comes
    from the refinement config's label section, then the seed method's,
    else :data:`~mmwsss.pseudo_labels.PSEUDO_LABEL_DEFAULTS`."""
    section, mode = WALKS[walk]['labels'], WALKS[walk]['mode']
    merged = dict(network_config(ctx, config).get(section, None) or {})
    merged.update(seed_method_config(ctx).get(section, None) or {})
    settings, _ = resolve_pseudo_label_settings(
        mode, cfg=Config({section: merged}))
    settings['mode'] = mode
    if walk == 'irn':
        settings['crf'] = CRF_DEFAULTS
    return settings


def walk_settings(ctx: PipelineContext, walk: str, config: str) -> dict:
    """The random walk's settings: the defaults, the refinement config's
    ``random_walk_cfg``, then the settings of it that the seed method's
    config states (ReCAM: IRN's background 0.28); a setting no walk has is
    named."""
    walk_cfg = dict(network_config(ctx, config).get('random_walk_cfg', None)
                    or {})
    seed_cfg = seed_method_config(ctx)
    seed_walk = dict(seed_cfg.get('random_walk_cfg', None) or {})
    known = set().union(*map(set, RANDOM_WALK_DEFAULTS.values()))
    if set(seed_walk) - known:
        raise InputKeyError(
            f'{seed_cfg.filename}: random_walk_cfg has unknown settings '
            f'{sorted(set(seed_walk) - known)}; known: {sorted(known)}')
    walk_cfg.update({
        key: value
        for key, value in seed_walk.items()
        if key in RANDOM_WALK_DEFAULTS[walk]
    })
    return check_random_walk_settings(walk, walk_cfg)
