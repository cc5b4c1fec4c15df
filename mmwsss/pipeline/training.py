"""Training as a pipeline stage's work."""
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config

from mmwsss.apis import train_and_test
from .base import BaseStage, PipelineContext
from .record import is_verbose, stage_label


def train_for_stage(stage: BaseStage,
                    ctx: PipelineContext,
                    cfg: Config,
                    train_dir: str,
                    config_name: Optional[str] = None,
                    test: bool = True) -> dict:
    """Train ``cfg`` in ``train_dir`` as ``stage``'s work (see
    :func:`~mmwsss.apis.train_and_test`), the config dumped there as
    ``config_name`` when given; when the pipeline is quiet, a console line
    under the stage's label counts the iterations.

    Returns:
        dict: ``config`` (the dumped config, or None), ``checkpoint``,
        ``metrics`` (empty without ``test``) and ``seconds_per_iter``.
    """
    os.makedirs(train_dir, exist_ok=True)
    config = None
    if config_name is not None:
        config = osp.join(train_dir, config_name)
        cfg.dump(config)
    checkpoint, metrics, seconds_per_iter = train_and_test(
        cfg,
        train_dir,
        test=test,
        progress_label=None if is_verbose() else stage_label(
            ctx.record(stage.folder), stage.name))
    return dict(
        config=config,
        checkpoint=checkpoint,
        metrics=metrics,
        seconds_per_iter=seconds_per_iter)
