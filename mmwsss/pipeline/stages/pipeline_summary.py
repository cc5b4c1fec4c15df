"""Stage: the summary of a whole pipeline run."""
import os.path as osp
from typing import Dict, Optional

from ..base import BaseStage, PipelineContext
from ..record import save_summary
from ..registry import STAGES
from ..summary import check_summary


def affinity_label_quality(evaluation: dict) -> dict:
    """The figures of an affinity network's training labels: mIoU over the
    labelled pixels, the precision of the confident background (the share
    that truly is background) and the mean precision of the confident
    foreground classes, and the share left unsure (255), in percent."""
    per_class = list(evaluation['per_class'].values())
    foreground = [c['precision'] for c in per_class[1:]
                  if c['precision'] is not None]
    return dict(
        miou=evaluation['miou'],
        background_precision=per_class[0]['precision'],
        foreground_precision=round(sum(foreground) / len(foreground), 2)
        if foreground else None,
        unsure_fraction=evaluation['ignored_fraction'])


@STAGES.register_module()
class PipelineSummary(BaseStage):
    """The figures of a run, checked against
    :data:`~mmwsss.pipeline.summary.SUMMARY_SCHEMA` and written to
    ``<work_dir>/summary.json`` (paths relative to the work dir; returned
    resolved). ``refine``, ``pseudo_label_dir`` and the ``pseudo_*``
    figures describe the labels the segmentor trained on. Not recorded.

    Args:
        seeds (str): Key of the seed method's summary stage.
        labels (str): Key of the stage that made the labels.
        pseudo (str): Key of their :class:`LabelEvaluation`.
        segmentation (str): Key of the :class:`TrainSegmentor` on them.
        crf_labels (str, optional): Key of the CRF-only labels.
        crf (str, optional): Key of their evaluation.
        refinement (str, optional): Key of a :class:`RefinementSummary`.
        full_supervision (str, optional): Key of the segmentor trained on
            the true masks.
        figures (str, optional): Key of the :class:`Figures` stage.
    """
    # In the order the stages they read run: the CRF labels before the
    # refinement's.
    inputs = ('seeds', 'crf_labels', 'crf', 'labels', 'pseudo', 'refinement',
              'segmentation', 'full_supervision', 'figures')
    recorded = False

    def __init__(self, **references: Optional[str]):
        super().__init__(**references)

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        seeds, crf, pseudo = up['seeds'], up['crf'], up['pseudo']
        final = up['segmentation']['metrics']['mIoU']
        summary = dict(
            method=ctx.setting('method'),
            preset=ctx.setting('preset'),
            refine=ctx.setting('refine'),
            data_root=ctx.data_root,
            seed_miou=seeds['seed_miou'],
            seed_threshold=seeds['seed_threshold'],
            background_miou=seeds['background_miou'],
            classifier_map=seeds['classifier_map'],
            crf_pseudo_miou=crf['miou'] if crf else None,
            pseudo_miou=pseudo['miou'],
            pseudo_precision=pseudo['mean_precision'],
            pseudo_recall=pseudo['mean_recall'],
            pseudo_ignored_fraction=pseudo['ignored_fraction'],
            final_miou=final,
            bg_rule=ctx.setting('bg_rule') if crf else None,
            crf_bg_threshold=up['crf_labels']['settings']['bg_threshold']
            if up['crf_labels'] else None,
            cam_dir=seeds['cam_dir'],
            crf_label_dir=up['crf_labels']['label_dir']
            if up['crf_labels'] else None,
            pseudo_label_dir=osp.abspath(up['labels']['label_dir']),
            segmentation_checkpoint=up['segmentation']['checkpoint'])
        refinement = up['refinement']
        if refinement is not None:
            summary.update(self.refinement_figures(refinement, pseudo))
        if up['full_supervision'] is not None:
            full = up['full_supervision']['metrics']['mIoU']
            summary.update(
                full_supervision_miou=full,
                full_supervision_ratio=round(final / full, 4)
                if full else None)
        if up['figures'] is not None:
            summary['figures'] = {
                k: v
                for k, v in up['figures'].items()
                if k not in ('fingerprint', 'seconds')
            }
        summary['stage_seconds'] = ctx.stage_seconds()
        summary['total_seconds'] = round(
            sum(summary['stage_seconds'].values()), 1)
        check_summary(summary)
        save_summary(summary, self.out_path(ctx))
        return summary

    @staticmethod
    def refinement_figures(refinement: dict, pseudo: dict) -> dict:
        """The summary's keys of an affinity refinement."""
        trained = refinement['trained']
        figures = dict(
            affinity_labels=affinity_label_quality(
                refinement['train_labels']),
            refine_pseudo_miou=pseudo['miou'],
            refine_settings=refinement['settings'],
            affinity_checkpoint=trained['checkpoint'],
            affinity_seconds_per_iter=trained['seconds_per_iter'])
        boundary = refinement['boundary']
        if boundary is not None:
            figures.update(
                boundary_ap=boundary['boundary_ap'],
                boundary_ap_chance=boundary['chance'])
        alpha = refinement['alpha_sweep']
        if alpha is not None:
            figures.update(
                refine_alpha=alpha['best_alpha'],
                refine_swept_miou=alpha['best_miou'])
        sweep = refinement['score_sweep']
        if sweep is not None:
            figures.update(
                refine_bg_threshold=refinement['bg_threshold'],
                refine_swept_miou=sweep['best_miou'],
                refine_swept_threshold=sweep['best_threshold'],
                refine_score_dir=sweep['score_dir'])
        return figures
