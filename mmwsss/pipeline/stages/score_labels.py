"""Stage: labels of a random walk's saved scores at one threshold."""
from typing import Dict, List

from mmwsss.pseudo_labels import CRF_DEFAULTS, generate_pseudo_labels
from ..base import BaseStage, PipelineContext
from ..refinement import walk_settings
from ..registry import STAGES


@STAGES.register_module()
class ScoreLabels(BaseStage):
    """IRN's labels from its walk's saved scores (``<folder>/<name>``):
    the argmax with a constant background at the best threshold of the
    scores' sweep (pipeline ``bg_rule='swept'``) or at
    ``random_walk_cfg.bg_threshold`` (``'config'``), optionally refined by
    a dense CRF.

    Args:
        scores (str): Key of the :class:`RandomWalk` that saved the
            scores.
        sweep (str): Key of their :class:`SeedEvaluation`.
        config (str): The network's config (its ``random_walk_cfg``).
        crf (bool): A dense CRF on the scores.
    """
    inputs = ('scores', 'sweep')

    def __init__(self, scores: str, sweep: str, config: str,
                 crf: bool = False):
        super().__init__(scores=scores, sweep=sweep)
        self.config = config
        self.crf = crf

    def threshold_settings(self, ctx: PipelineContext,
                           up: Dict[str, dict]) -> dict:
        if ctx.setting('bg_rule', 'swept') == 'swept':
            threshold = up['sweep']['best_threshold']
        else:
            threshold = walk_settings(ctx, 'irn', self.config)['bg_threshold']
        return dict(
            bg_threshold=threshold, crf=CRF_DEFAULTS if self.crf else None)

    def label_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            settings=self.threshold_settings(ctx, up),
            split=ctx.split('cam'),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.label_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        settings = self.threshold_settings(ctx, up)
        written = generate_pseudo_labels(
            up['scores']['cam_dir'],
            ctx.data_root,
            ctx.split('cam'),
            self.label_dir(ctx),
            num_classes=ctx.num_classes,
            num_workers=ctx.num_workers,
            overwrite=True,
            **settings)
        return dict(
            label_dir=self.label_dir(ctx),
            settings=up['scores']['settings'],
            bg_threshold=settings['bg_threshold'],
            written=written)
