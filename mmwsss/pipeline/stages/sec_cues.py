"""Stage: SEC's localization cues."""
from typing import Dict, List

from mmwsss.apis import load_config, resolve_config_path
from mmwsss.pseudo_labels import generate_pseudo_labels
from mmwsss.utils.errors import InputKeyError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class SECCues(BaseStage):
    """SEC's localization cues (Kolesnikov & Lampert, ECCV 2016) of the
    CAM split from CAM files, with the settings of the SEC config's
    top-level ``sec_cue_cfg`` (passed to
    :func:`~mmwsss.pseudo_labels.generate_pseudo_labels`), written to
    ``<folder>/cues``.

    Args:
        cams (str): Key of the stage that wrote the CAM files.
        config (str): The SEC config.
    """
    inputs = ('cams', )

    def __init__(self, cams: str, config: str):
        super().__init__(cams=cams)
        self.config = config

    def cue_settings(self) -> dict:
        cfg = load_config(self.config)
        if cfg.get('sec_cue_cfg') is None:
            raise InputKeyError(
                f'{self.config}: an SEC config needs a top-level '
                'sec_cue_cfg (the settings of its localization cues)')
        return dict(cfg.sec_cue_cfg)

    def check(self, ctx: PipelineContext) -> None:
        resolve_config_path(self.config)
        self.cue_settings()

    def cue_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, 'cues')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            settings=self.cue_settings(),
            split=ctx.split('cam'),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.cue_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        settings = self.cue_settings()
        written = generate_pseudo_labels(
            up['cams']['cam_dir'],
            ctx.data_root,
            ctx.split('cam'),
            self.cue_dir(ctx),
            num_classes=ctx.num_classes,
            num_workers=ctx.num_workers,
            progress=False,
            overwrite=True,
            **settings)
        return dict(
            label_dir=self.cue_dir(ctx), settings=settings, written=written)
