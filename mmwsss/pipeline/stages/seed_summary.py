"""Stage: the summary of a seed method's stages."""
from typing import Dict

from ..base import BaseStage, PipelineContext
from ..record import save_summary
from ..registry import STAGES


@STAGES.register_module()
class SeedSummary(BaseStage):
    """Gather a seed method's figures into ``<folder>/summary.json`` (paths
    relative to the folder; returned resolved): the seeds' mIoU at the
    best background threshold of the seed split, the all-background
    baseline, the classifier's mAP and val seed mIoU, seconds per training
    iteration, the CAM folder and the fingerprints of the stages. Not
    recorded: it only reads the others' outputs.

    Args:
        classifier (str): Key of the :class:`TrainClassifier` stage whose
            weights wrote the CAMs.
        cams (str): Key of the :class:`MakeCAMs` stage.
        seeds (str): Key of the :class:`SeedEvaluation` stage.
        cam_method (str): The CAM rule, as reported.
    """
    inputs = ('classifier', 'cams', 'seeds')
    recorded = False

    def __init__(self, classifier: str, cams: str, seeds: str,
                 cam_method: str = 'cam'):
        super().__init__(classifier=classifier, cams=cams, seeds=seeds)
        self.cam_method = cam_method

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        train, cams, seeds = up['classifier'], up['cams'], up['seeds']
        metrics = train.get('metrics') or {}
        record = ctx.record(self.folder)
        summary = dict(
            data_root=ctx.data_root,
            config=train['config'],
            checkpoint=train['checkpoint'],
            seed_split=ctx.split('seed'),
            seed_miou=seeds['best_miou'],
            seed_threshold=seeds['best_threshold'],
            background_miou=seeds['background_miou'],
            classifier_map=metrics.get('multi-label/mAP'),
            val_seed_miou=metrics.get('mIoU'),
            cam_method=self.cam_method,
            # A classifier of another method's (Grad-CAM reads CAM's) is
            # no training time of this one's.
            seconds_per_iter=train.get('seconds_per_iter')
            if self.upstream['classifier'].folder == self.folder else None,
            cam_dir=cams['cam_dir'],
            fingerprints=dict(
                train=train['fingerprint'],
                cams=cams['fingerprint'],
                seeds=seeds['fingerprint']),
            stage_seconds=record.seconds())
        save_summary(summary, self.out_path(ctx))
        return summary
