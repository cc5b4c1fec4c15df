"""Stage: the training labels of an affinity network."""
from typing import Dict, List

from mmwsss.pseudo_labels import generate_pseudo_labels
from ..base import BaseStage, PipelineContext
from ..refinement import check_walk, training_label_settings
from ..registry import STAGES


@STAGES.register_module()
class AffinityTrainingLabels(BaseStage):
    """The labels an affinity network learns from, made from CAM files of
    the CAM split (``<folder>/<name>``): IRN's confident regions (255
    between the thresholds) or PSA's two power-background maps (see
    :func:`~mmwsss.pipeline.refinement.training_label_settings`).

    Args:
        cams (str): Key of the stage that wrote the CAM files.
        walk (str): ``'irn'`` or ``'psa'``.
        config (str): The affinity network's config.
    """
    inputs = ('cams', )

    def __init__(self, cams: str, walk: str, config: str):
        super().__init__(cams=cams)
        check_walk(walk, type(self).__name__)
        self.walk = walk
        self.config = config

    def label_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            settings=training_label_settings(ctx, self.walk, self.config),
            split=ctx.split('cam'),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.label_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        written = generate_pseudo_labels(
            up['cams']['cam_dir'],
            ctx.data_root,
            ctx.split('cam'),
            self.label_dir(ctx),
            num_classes=ctx.num_classes,
            num_workers=ctx.num_workers,
            overwrite=True,
            **training_label_settings(ctx, self.walk, self.config))
        return dict(label_dir=self.label_dir(ctx), written=written)
