"""Stage: pseudo labels merged with mask proposals."""
from typing import Dict, List, Optional

from mmwsss.pseudo_labels.mask_merge import MERGE_DEFAULTS
from mmwsss.pseudo_labels.mask_proposals import generate_merged_labels
from mmwsss.utils.errors import InputKeyError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES
from .mask_proposals import merge_split


@STAGES.register_module()
class MergeLabels(BaseStage):
    """Any stage's pseudo labels merged with the cached mask proposals by
    SAM_WSSS's rule (``<folder>/<name>/<id>.png``, the pseudo-label
    contract; see
    :func:`~mmwsss.pseudo_labels.mask_merge.merge_label_with_masks`).

    Args:
        labels (str): Key of the stage whose labels are merged.
        masks (str): Key of the :class:`MaskProposals` stage.
        refine (str, optional): The ``refine`` these labels stand for
            (``'crf+merge'``): when it is the pipeline's, the CAM split is
            merged for the segmentor, else only the seed split.
        settings (dict, optional): Overrides of
            :data:`~mmwsss.pseudo_labels.mask_merge.MERGE_DEFAULTS`.
    """
    inputs = ('labels', 'masks')

    def __init__(self,
                 labels: str,
                 masks: str,
                 refine: Optional[str] = None,
                 settings: Optional[dict] = None):
        super().__init__(labels=labels, masks=masks)
        self.refine = refine
        self.merge = dict(settings or {})
        unknown = set(self.merge) - set(MERGE_DEFAULTS)
        if unknown:
            raise InputKeyError(
                f'MergeLabels: unknown settings {sorted(unknown)}; known: '
                f'{sorted(MERGE_DEFAULTS)}')

    def label_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            merge=dict(MERGE_DEFAULTS, **self.merge),
            split=merge_split(ctx, self.refine),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.label_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        written = generate_merged_labels(
            up['masks']['mask_dir'],
            ctx.data_root,
            merge_split(ctx, self.refine),
            self.label_dir(ctx),
            labels_dir=up['labels']['label_dir'],
            merge=self.merge,
            num_workers=ctx.num_workers,
            overwrite=True)
        return dict(
            label_dir=self.label_dir(ctx),
            settings=dict(up['labels'].get('settings') or {},
                          merge=dict(MERGE_DEFAULTS, **self.merge)),
            written=written)
