"""Composite stage: SEC's pipeline from CAM seeds to its labels."""
import os.path as osp
from typing import Dict

from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class SEC(BaseStage):
    """SEC (Kolesnikov & Lampert, ECCV 2016) as the stages it stands for,
    placed at its key ``<folder>/summary``: the CAM classifier's seed stages
    in ``cam/`` (``cam/train``, ``cam/cams``, ``cam/seeds``,
    ``cam/summary``), its localization cues (:class:`SECCues`) and their
    evaluation, the SEC network trained on them (:class:`TrainSegmentor`
    in ``<folder>/segmentor``, starting from the CAM classifier's weights
    where the SEC config sets ``init_from_cam_classifier``), its labels of
    the seed split and their evaluation, the summary; and in the work dir
    the labels the segmentor trains on (``sec_labels``, of the CAM split;
    the seed split's when the two are one), their evaluation
    (``sec_eval``) and ``sec_refinement`` (none: SEC's labels are its
    network's).

    Args:
        config (str): The SEC config (a top-level ``sec_cue_cfg``).
        cam_config (str): The CAM classifier's config.
    """

    def __init__(self, config: str, cam_config: str):
        super().__init__()

    @classmethod
    def expand(cls, key: str, spec: dict,
               ctx: PipelineContext) -> Dict[str, dict]:
        """The stage specs that ``spec`` at ``key`` stands for."""
        at = osp.dirname(key)
        config = spec['config']
        return {
            'cam/train':
            dict(type='TrainClassifier', config=spec['cam_config']),
            'cam/cams':
            dict(type='MakeCAMs', classifier='cam/train'),
            'cam/seeds':
            dict(type='SeedEvaluation', cams='cam/cams'),
            'cam/summary':
            dict(
                type='SeedSummary',
                classifier='cam/train',
                cams='cam/cams',
                seeds='cam/seeds'),
            f'{at}/cues':
            dict(type='SECCues', cams='cam/cams', config=config),
            f'{at}/cue_eval':
            dict(type='LabelEvaluation', labels=f'{at}/cues'),
            f'{at}/train':
            dict(
                type='TrainSegmentor',
                config=config,
                labels=f'{at}/cues',
                init_from='cam/train',
                options='seed_cfg_options',
                train_dir='segmentor'),
            f'{at}/labels':
            dict(type='SECLabels', trained=f'{at}/train'),
            f'{at}/label_eval':
            dict(type='LabelEvaluation', labels=f'{at}/labels'),
            key:
            dict(
                type='SECSummary',
                config=config,
                cues=f'{at}/cues',
                cue_eval=f'{at}/cue_eval',
                trained=f'{at}/train',
                labels=f'{at}/labels',
                label_eval=f'{at}/label_eval',
                cams='cam/cams'),
            'sec_labels':
            dict(
                type='SECLabels',
                trained=f'{at}/train',
                split='cam',
                same_as=f'{at}/labels'),
            'sec_eval':
            dict(type='LabelEvaluation', labels='sec_labels'),
            'sec_refinement':
            dict(type='RefinementSummary'),
        }
