"""Random-walk pseudo labels from a trained IRN / AffinityNet checkpoint."""
from typing import Dict, Optional, Tuple, Union

from mmengine.config import Config

from mmwsss.datasets import build_split_dataset
from mmwsss.pseudo_labels.random_walk_labels import (
    check_random_walk_settings, generate_random_walk_labels, refinement_of)
from mmwsss.utils.errors import InputTypeError
from .config import load_config
from .model import init_model, model_source


def random_walk_settings(config: Union[str, Config],
                         overrides: Optional[Dict] = None) -> Tuple[str, dict]:
    """The refinement a config's model performs (``'irn'`` / ``'psa'``)
    and its random-walk settings: the defaults, then the config's
    ``random_walk_cfg``, then ``overrides`` (the command line), checked.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    model_type = cfg.model.get('type')
    refine = 'irn' if model_type == 'IRNBoundaryNet' else 'psa' \
        if model_type == 'AffinityNet' else None
    if refine is None:
        raise InputTypeError(
            f'{cfg.filename}: model type {model_type!r} is neither '
            'IRNBoundaryNet nor AffinityNet: give the config of a trained '
            'IRN or AffinityNet (a CAM config goes to make_cams.py)')
    settings = dict(cfg.get('random_walk_cfg', None) or {})
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if refine == 'psa' and 'exp_times' in overrides:
        # One command-line name for the walk's length: PSA calls it logt.
        overrides['logt'] = overrides.pop('exp_times')
    settings.update(overrides)
    return refine, check_random_walk_settings(refine, settings)


def make_sem_seg_labels(config: Union[str, Config],
                        checkpoint: str,
                        cam_dir: str,
                        out_dir: str,
                        split: str = 'train',
                        data_root: Optional[str] = None,
                        settings: Optional[Dict] = None,
                        score_dir: Optional[str] = None,
                        num_workers: int = 2,
                        device: Optional[str] = None,
                        cfg_options: Optional[Dict] = None,
                        rank: int = 0,
                        world_size: int = 1,
                        progress: bool = True,
                        overwrite: bool = False) -> int:
    """Write random-walk pseudo labels for ``split``; see
    :func:`mmwsss.pseudo_labels.generate_random_walk_labels`. Settings and
    the checkpoint are checked before any image is read. ``settings`` may
    name the walk's length ``exp_times`` for either refinement. The output
    folders' manifests record the walk settings, the model config, the
    checkpoint's content digest and the data root; folders made under
    others are refused unless ``overwrite``.

    Returns:
        int: Labels written by this call.
    """
    cfg = load_config(config, cfg_options, data_root=data_root)
    refine, walk_cfg = random_walk_settings(cfg, settings)
    model, cfg = init_model(cfg, checkpoint, device)
    if refinement_of(model) != refine:
        raise InputTypeError(f'{cfg.filename}: the built model does not match '
                             f'the refinement {refine!r}')
    dataset = build_split_dataset(cfg, split, data_root)
    return generate_random_walk_labels(
        model,
        dataset,
        cam_dir,
        out_dir,
        settings=walk_cfg,
        score_dir=score_dir,
        num_workers=num_workers,
        rank=rank,
        world_size=world_size,
        progress=progress,
        source=model_source(cfg, checkpoint, dataset.data_root),
        overwrite=overwrite)
