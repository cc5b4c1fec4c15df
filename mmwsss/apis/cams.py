"""CAM files of a split from a trained classifier: one process or one
torchrun shard per rank."""
import os
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.dist import all_reduce, barrier, get_dist_info, init_dist

from mmwsss.cams.generate import generate_cams
from mmwsss.datasets import build_split_dataset
from mmwsss.utils.errors import InputTypeError, InputValueError
from .model import init_model, model_source


def init_cam_distributed(
        launcher: str = 'none') -> Tuple[int, int, Optional[str]]:
    """Join the process group that ``torchrun`` set up, so that CAM
    generation can shard its ids; NCCL with GPUs, gloo on CPUs.

    Args:
        launcher (str): ``'none'`` or ``'pytorch'``.

    Returns:
        tuple: ``(rank, world_size, device)``; ``device`` is ``None`` when
        the default applies.
    """
    if launcher == 'none':
        return 0, 1, None
    if launcher != 'pytorch':
        raise InputValueError(f"launcher must be 'none' or 'pytorch', got "
                              f'{launcher!r}')
    if torch.cuda.is_available():
        init_dist(launcher, backend='nccl')
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    else:
        # mmengine's init_dist selects a CUDA device, which a CPU lacks.
        torch_dist.init_process_group(backend='gloo')
        device = 'cpu'
    rank, world_size = get_dist_info()
    return rank, world_size, device


def finish_distributed(written: int, world_size: int) -> int:
    """The sum of every rank's count of written files; leaves the process
    group (a live gloo group can abort the process at exit)."""
    if world_size == 1:
        return written
    total = torch.tensor(written)
    all_reduce(total)
    barrier()
    torch_dist.destroy_process_group()
    return int(total)


def init_cam_model(
        config: Union[str, Config],
        checkpoint: Optional[str],
        device: Optional[str] = None,
        cfg_options: Optional[Dict] = None) -> Tuple[torch.nn.Module, Config]:
    """Build a CAM classifier from a config and load its checkpoint.

    Args:
        config (str | Config): The config the checkpoint was trained with.
        checkpoint (str, optional): Checkpoint path; ``None`` for a
            training-free model (CLIP-ES), whose weights are its config's
            ``init_cfg``.
        device (str, optional): Default: ``'cuda'`` when available.
        cfg_options (dict, optional): Config overrides.

    Returns:
        tuple: ``(model, cfg)``.
    """
    model, cfg = init_model(config, checkpoint, device, cfg_options)
    if not hasattr(model, 'multi_scale_cams'):
        raise InputTypeError(
            f'{type(model).__name__} built from the config has '
            'no CAMs; use a CAM classifier config')
    if checkpoint is None:
        if not getattr(model, 'training_free', False):
            raise InputValueError(
                f'{type(model).__name__} is trained: give the checkpoint '
                'of its training')
        model.init_weights()
    return model, cfg


def make_cams(config: Union[str, Config],
              checkpoint: Optional[str],
              out_dir: str,
              split: str = 'train',
              data_root: Optional[str] = None,
              scales: Optional[Sequence[float]] = None,
              flip: Optional[bool] = None,
              method: str = 'cam',
              target_layer: Optional[str] = None,
              gradcam_norm: Optional[str] = None,
              batch_size: int = 4,
              num_workers: int = 2,
              device: Optional[str] = None,
              cfg_options: Optional[Dict] = None,
              rank: int = 0,
              world_size: int = 1,
              progress: bool = True,
              overwrite: bool = False) -> int:
    """Write IRN-format CAM files for ``split``; see
    :func:`mmwsss.cams.generate.generate_cams`. The folder's manifest
    records the model config, the checkpoint's content digest and the data
    root with the inference settings; a folder made
    under others is refused unless ``overwrite``.

    ``checkpoint`` is ``None`` for a training-free model (CLIP-ES): its
    ``init_cfg`` checkpoint is loaded, and recorded. ``scales`` and
    ``flip`` default to the model's (CLIP-ES: its config's), else
    :data:`~mmwsss.cams.generate.DEFAULT_SCALES` with flips.

    Returns:
        int: Number of files written by this call.
    """
    model, cfg = init_cam_model(config, checkpoint, device, cfg_options)
    dataset = build_split_dataset(cfg, split, data_root)
    num_classes = len(dataset.metainfo['classes']) - 1
    if num_classes != model.num_classes:
        raise InputValueError(
            f'{checkpoint or config}: the model has {model.num_classes} '
            f'classes but the dataset has {num_classes} foreground classes: '
            'the checkpoint belongs to another dataset, or the config needs '
            f'--cfg-options model.cam_head.num_classes={num_classes}')
    return generate_cams(
        model,
        dataset,
        out_dir,
        scales=scales,
        flip=flip,
        method=method,
        target_layer=target_layer,
        gradcam_norm=gradcam_norm,
        batch_size=batch_size,
        num_workers=num_workers,
        rank=rank,
        world_size=world_size,
        progress=progress,
        source=model_source(cfg, checkpoint or model.pretrained_checkpoint,
                            dataset.data_root),
        overwrite=overwrite)
