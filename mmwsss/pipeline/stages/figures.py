"""Stage: the figures of a pipeline run."""
import os.path as osp
from typing import Dict, List, Optional

from mmwsss.apis import init_model
from mmwsss.apis.data_roots import split_ids
from mmwsss.datasets import build_split_dataset
from mmwsss.visualization import (render_cam_grid, render_label_grid,
                                  render_prediction_grid,
                                  render_refinement_grid)
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class Figures(BaseStage):
    """CAM, pseudo-label and prediction grids of the first few images, and
    with a refinement its boundary (or affinity) maps, propagated scores
    and labels beside the CRF labels, in ``<folder>/figures``. Drawn again
    whenever what they show changed.

    Args:
        cams (str): Key of the stage that wrote the CAM files.
        labels (str): Key of the stage that made the labels the segmentor
            trained on.
        segmentation (str): Key of the :class:`TrainSegmentor`.
        crf_labels (str, optional): Key of the CRF labels, shown beside a
            refinement's.
        refinement (str, optional): Key of a :class:`RefinementSummary`.
        num_images (int): Images per grid.
    """
    inputs = ('cams', 'labels', 'segmentation', 'crf_labels', 'refinement')

    def __init__(self,
                 cams: str,
                 labels: str,
                 segmentation: str,
                 crf_labels: Optional[str] = None,
                 refinement: Optional[str] = None,
                 num_images: int = 4):
        super().__init__(
            cams=cams,
            labels=labels,
            segmentation=segmentation,
            crf_labels=crf_labels,
            refinement=refinement)
        self.num_images = num_images

    def fig_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, 'figures')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(data_root=ctx.data, num_images=self.num_images)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.fig_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        fig_dir = self.fig_dir(ctx)
        cam_split, val_split = ctx.split('cam'), ctx.split('val')
        seed_ids = split_ids(ctx.data_root, cam_split)[:self.num_images]
        val_ids = split_ids(ctx.data_root, val_split)[:self.num_images]
        figures = dict(
            cams=osp.join(fig_dir, 'cams.png'),
            pseudo_labels=osp.join(fig_dir, 'pseudo_labels.png'),
            predictions=osp.join(fig_dir, 'predictions.png'))
        render_cam_grid(ctx.data_root, up['cams']['cam_dir'], seed_ids,
                        figures['cams'], split=cam_split)
        render_label_grid(
            ctx.data_root,
            up['labels']['label_dir'],
            seed_ids,
            figures['pseudo_labels'],
            truth_dir=ctx.splits.get('true_mask_dir'),
            split=cam_split)
        segmentation = up['segmentation']
        model, cfg = init_model(segmentation['config'],
                                segmentation['checkpoint'], ctx.device,
                                data_root=ctx.data_root)
        render_prediction_grid(
            model, build_split_dataset(cfg, val_split, ctx.data_root),
            ctx.data_root, val_ids, figures['predictions'], split=val_split)
        refinement = up['refinement']
        if refinement is not None:
            figures['refinement'] = self.render_refinement(
                ctx, up, refinement)
        return figures

    def render_refinement(self, ctx: PipelineContext, up: Dict[str, dict],
                          refinement: dict) -> str:
        out_file = osp.join(self.fig_dir(ctx), 'refinement.png')
        trained = refinement['trained']
        model, cfg = init_model(trained['config'], trained['checkpoint'],
                                ctx.device)
        split = ctx.split('seed')
        label_dirs = {ctx.setting('refine'): up['labels']['label_dir']}
        if up['crf_labels'] is not None:
            label_dirs['CRF'] = up['crf_labels']['label_dir']
        render_refinement_grid(
            model, build_split_dataset(cfg, split, ctx.data_root),
            up['cams']['cam_dir'], label_dirs,
            split_ids(ctx.data_root, split)[:self.num_images], out_file,
            refinement['settings'])
        return out_file
