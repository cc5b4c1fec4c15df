"""Stage: what an affinity refinement's stages measured."""
from typing import Dict, Optional

from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class RefinementSummary(BaseStage):
    """Gather the outputs of an affinity refinement for the summary and
    the figures: its labels, network, training labels' evaluation,
    boundary AP and background sweep. Without ``labels`` (the CRF-only
    pipeline) it stands for no refinement and gives None. Not recorded.

    Args:
        labels (str, optional): Key of the stage that made the labels.
        trained (str, optional): Key of the :class:`TrainAffinityNet`.
        train_labels (str, optional): Key of the evaluation of its
            training labels.
        boundary (str, optional): Key of its :class:`BoundaryEvaluation`.
        score_sweep (str, optional): Key of the sweep of IRN's scores.
        scores (str, optional): Key of the walk that saved those scores.
        alpha_sweep (str, optional): Key of AffinityNet's
            :class:`PSAAlphaSweep`.
    """
    inputs = ('labels', 'trained', 'train_labels', 'boundary',
              'score_sweep', 'scores', 'alpha_sweep')
    recorded = False

    def __init__(self, **references: Optional[str]):
        super().__init__(**references)

    def prune(self, ctx: PipelineContext) -> None:
        # Under bg_rule='config' the exponent is the config's: no sweep.
        if ctx.setting('bg_rule', 'swept') == 'config':
            self.references['alpha_sweep'] = None

    def run(self, ctx: PipelineContext,
            up: Dict[str, dict]) -> Optional[dict]:
        if up['labels'] is None:
            return None
        score_sweep = up['score_sweep']
        if score_sweep is not None:
            score_sweep = dict(score_sweep,
                               score_dir=up['scores']['cam_dir'])
        return dict(
            up['labels'],
            trained=up['trained'],
            train_labels=up['train_labels'],
            boundary=up['boundary'],
            score_sweep=score_sweep,
            alpha_sweep=up['alpha_sweep'])
