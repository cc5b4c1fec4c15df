"""Stage: the quality of an affinity network's boundary map."""
import os.path as osp
from typing import Dict

from mmwsss.apis import evaluate_boundary_map
from mmwsss.evaluation.boundary_eval import format_boundary_eval
from ..base import EvaluationStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class BoundaryEvaluation(EvaluationStage):
    """The average precision of a trained network's boundary map against
    the true class edges of a split (see
    :func:`~mmwsss.apis.evaluate_boundary_map`), kept in the network's
    folder as ``boundary_eval_<split>.json``.

    Args:
        trained (str): Key of the :class:`TrainAffinityNet` stage.
        split (str): The split or its role (default the seed split).
    """
    inputs = ('trained', )
    template = 'boundary AP {boundary_ap:.2f} % (chance {chance:.2f} %)'

    def __init__(self, trained: str, split: str = 'seed'):
        super().__init__(trained=trained)
        self.split = split

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(split=ctx.split(self.split), data_root=ctx.data)

    def result_file(self, ctx: PipelineContext, up: Dict[str, dict]) -> str:
        return osp.join(
            osp.dirname(up['trained']['config']),
            f'boundary_eval_{ctx.split(self.split)}.json')

    def evaluate(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return evaluate_boundary_map(
            up['trained']['config'],
            up['trained']['checkpoint'],
            ctx.split(self.split),
            data_root=ctx.data_root,
            num_workers=ctx.num_workers,
            device=ctx.device)

    def table(self, result: dict) -> str:
        return format_boundary_eval(result)
