"""Stage: the evaluation of pseudo labels against the masks."""
import os.path as osp
from typing import Dict

from mmwsss.evaluation import (evaluate_pseudo_labels,
                               format_pseudo_label_table)
from ..base import EvaluationStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class LabelEvaluation(EvaluationStage):
    """mIoU, precision and recall of pseudo labels against the masks of a
    split, kept inside the label folder as ``pseudo_eval_<split>.json``.
    For an affinity network's training labels the precision says how clean
    they are: the background's is the share of confident background that
    truly is background, the foreground's the reverse.

    Args:
        labels (str): Key of the stage that wrote the labels (its outputs
            name ``label_dir``).
        split (str): The split or its role (default the seed split).
    """
    inputs = ('labels', )
    template = ('mIoU {miou:.2f}, precision {mean_precision:.2f}, recall '
                '{mean_recall:.2f}')

    def __init__(self, labels: str, split: str = 'seed'):
        super().__init__(labels=labels)
        self.split = split

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(data_root=ctx.data, split=ctx.split(self.split))

    def result_file(self, ctx: PipelineContext, up: Dict[str, dict]) -> str:
        return osp.join(up['labels']['label_dir'],
                        f'pseudo_eval_{ctx.split(self.split)}.json')

    def evaluate(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return evaluate_pseudo_labels(up['labels']['label_dir'],
                                      ctx.data_root, ctx.split(self.split))

    def table(self, result: dict) -> str:
        return format_pseudo_label_table(result)
