"""Training through mmengine's Runner that resumes an interrupted run from
its last checkpoint and its random state."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from mmwsss.utils import check_checkpoint_fits
from mmwsss.utils.errors import InputFileNotFoundError


def _last_checkpoint(work_dir):
    """The checkpoint that mmengine's ``last_checkpoint`` names, looked up
    in ``work_dir`` itself: the file records an absolute path, which points
    into the original folder after a work dir was moved."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = osp.join(work_dir, osp.basename(f.read().strip()))
    return checkpoint if osp.isfile(checkpoint) else None


def with_rng_state(cfg: Config) -> Config:
    """Add :class:`~mmwsss.engine.hooks.RNGStateHook` to ``cfg`` (once), so
    that a resumed run continues the random draws of the interrupted one.
    """
    hooks = list(cfg.get('custom_hooks', None) or [])
    if not any(h.get('type') == 'RNGStateHook' for h in hooks):
        hooks.append(dict(type='RNGStateHook'))
    cfg.custom_hooks = hooks
    return cfg


def release_dataloader_workers(runner: Runner) -> None:
    """Stop the runner's persistent dataloader workers now. Left to the
    garbage collector they are joined during the next stage's dataset
    building, which then stalls for about 30 s."""
    for loop_name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, loop_name, None)
        loader = getattr(loop, 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if iterator is not None and hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()
            loader._iterator = None


def train_and_test(cfg: Config,
                   work_dir: str,
                   test: bool = True,
                   progress_label: Optional[str] = None) -> tuple:
    """Train with mmengine's Runner (resuming an interrupted run from its
    last checkpoint), then test on the config's test split unless ``test``
    is false. A missing ``load_from`` fails before the Runner is built.

    Args:
        cfg (Config): The run's config.
        work_dir (str): The run's work directory.
        test (bool): Also test the last checkpoint.
        progress_label (str, optional): When given, a console line under
            this name counts the run's iterations (its logs going to a
            file).

    Returns:
        tuple: ``(checkpoint, test metrics, mean seconds per iteration)``.
    """
    cfg.work_dir = work_dir
    last = _last_checkpoint(work_dir)
    cfg.resume = last is not None
    if cfg.get('load_from') and not cfg.resume and not osp.isfile(
            cfg.load_from):
        raise InputFileNotFoundError(
            f'load_from: no checkpoint at {cfg.load_from}')
    if cfg.resume:
        # mmengine resumes from load_from when it is set; name the
        # checkpoint inside this work dir (see _last_checkpoint).
        cfg.load_from = last
    with_rng_state(cfg)
    if progress_label is not None:
        cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
            dict(type='ConsoleProgressHook', label=progress_label)
        ]
    runner = Runner.from_cfg(cfg)
    if cfg.get('load_from') and not cfg.resume:
        check_checkpoint_fits(runner.model, cfg.load_from, allow_missing=True)
    runner.train()
    release_dataloader_workers(runner)
    seconds_per_iter = float(
        runner.message_hub.get_scalar('train/time').mean())
    metrics = runner.test() if test else {}
    release_dataloader_workers(runner)
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint is None:
        raise RuntimeError(f'{work_dir}: training wrote no checkpoint')
    return checkpoint, {k: float(v)
                        for k, v in metrics.items()}, seconds_per_iter
