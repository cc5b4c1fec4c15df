"""Stage: a training-free model whose weights are its config's."""
import os.path as osp
from typing import Dict, List

from mmengine.config import Config

from mmwsss.apis import load_config
from mmwsss.models.segmentors.clip_es import CONVERT_HINT
from mmwsss.utils import file_digest
from mmwsss.utils.errors import InputFileNotFoundError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class PretrainedModel(BaseStage):
    """A model that is not trained (CLIP-ES's frozen CLIP): the stage
    stands where a :class:`TrainClassifier` stands for the stages that read
    one (:class:`MakeCAMs`, :class:`SeedSummary`). Its checkpoint is the
    config's ``model.init_cfg.checkpoint``, checked to exist before any
    stage runs; its digest is in the fingerprint.

    Args:
        config (str): The model's config.
        cfg_options (dict, optional): Overrides of the config.
    """
    inputs = ()

    def __init__(self, config: str, cfg_options: dict = None):
        super().__init__()
        self.config = config
        self.cfg_options = dict(cfg_options or {})

    def build_config(self, ctx: PipelineContext, up=None) -> Config:
        options = dict(ctx.setting('seed_cfg_options') or {},
                       **self.cfg_options)
        return load_config(self.config, options or None,
                           data_root=ctx.data_root)

    def checkpoint(self, ctx: PipelineContext) -> str:
        return (self.build_config(ctx).model.get('init_cfg') or
                {}).get('checkpoint')

    def check(self, ctx: PipelineContext) -> None:
        path = self.checkpoint(ctx)
        if path is None or not osp.isfile(path):
            raise InputFileNotFoundError(
                f'{self.config}: model.init_cfg.checkpoint {path} is '
                'missing; ' + CONVERT_HINT.format(path=path))

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            config=self.build_config(ctx).model.to_dict(),
            checkpoint=file_digest(self.checkpoint(ctx)))

    def folders(self, ctx: PipelineContext) -> List[str]:
        return []

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        # Nothing to train: no checkpoint of its own, no timing, no metrics.
        return dict(config=self.config, checkpoint=None, metrics={},
                    seconds_per_iter=None)
