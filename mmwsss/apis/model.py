"""A model built from its config with a checkpoint that must fit, ready
for inference."""
import os.path as osp
from typing import Dict, Optional, Tuple, Union

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from mmwsss.utils import file_digest, load_fitting_checkpoint
from .config import load_config


def default_device(device: Optional[str] = None) -> str:
    """``device``, else ``'cuda'`` when available, else ``'cpu'``."""
    return device or ('cuda' if torch.cuda.is_available() else 'cpu')


def init_model(
        config: Union[str, Config],
        checkpoint: Optional[str] = None,
        device: Optional[str] = None,
        cfg_options: Optional[Dict] = None,
        data_root: Optional[str] = None) -> Tuple[torch.nn.Module, Config]:
    """Build a model from a config, load its checkpoint (which must fit)
    and put it in eval mode on ``device``, with the config loaded as
    ``tools/test.py`` does.

    Args:
        config (str | Config): The config the checkpoint was trained with.
        checkpoint (str, optional): Checkpoint path; ``None`` keeps the
            random initialisation.
        device (str, optional): Default: ``'cuda'`` when available.
        cfg_options (dict, optional): Config overrides.
        data_root (str, optional): Replaces every dataloader's data root.

    Returns:
        tuple: ``(model, cfg)``.
    """
    cfg = load_config(config, cfg_options, data_root=data_root)
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    # The checkpoint holds every weight; skip the ImageNet initialisation.
    cfg.model.pop('pretrained', None)
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_fitting_checkpoint(model, checkpoint)
    model.cfg = cfg
    return model.to(default_device(device)).eval(), cfg


def model_source(cfg: Config, checkpoint: str, data_root: str) -> dict:
    """What a generator's output folder records of the model that wrote
    it: the model config, the checkpoint's content digest (a copied or
    moved checkpoint keeps it) and the data root's real path."""
    return dict(
        model=cfg.model.to_dict(),
        checkpoint=file_digest(checkpoint),
        data_root=osp.realpath(data_root))
