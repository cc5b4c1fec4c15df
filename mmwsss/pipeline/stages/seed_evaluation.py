"""Stage: the background-threshold sweep of CAM files."""
from typing import Dict

from mmwsss.evaluation import evaluate_seeds, format_seed_table
from mmwsss.pseudo_labels import seed_eval_path
from ..base import EvaluationStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class SeedEvaluation(EvaluationStage):
    """Sweep the background threshold of score maps in the CAM file
    contract (CAMs, or a random walk's saved scores) against the masks of
    a split. The sweep is kept inside the folder it describes
    (``seed_eval_<split>.json``), where
    :func:`~mmwsss.pseudo_labels.resolve_pseudo_label_settings` finds its
    best threshold.

    Args:
        cams (str): Key of the stage that wrote the maps (its outputs
            name ``cam_dir``).
        split (str): The split or its role (default the seed split).
        what (str): What the maps are, on the console line (``'seed'``,
            ``'label'``).
    """
    inputs = ('cams', )

    def __init__(self, cams: str, split: str = 'seed', what: str = 'seed'):
        super().__init__(cams=cams)
        self.split = split
        self.template = (what + ' mIoU {best_miou:.2f} at background '
                         '{best_threshold:.2f}')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(data_root=ctx.data, split=ctx.split(self.split))

    def result_file(self, ctx: PipelineContext, up: Dict[str, dict]) -> str:
        return seed_eval_path(up['cams']['cam_dir'], ctx.split(self.split))

    def evaluate(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return evaluate_seeds(up['cams']['cam_dir'], ctx.data_root,
                              ctx.split(self.split))

    def table(self, result: dict) -> str:
        return format_seed_table(result)
