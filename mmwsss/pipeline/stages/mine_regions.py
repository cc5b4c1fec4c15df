"""Stage: the regions an adversarial-erasing round mines."""
from typing import Dict, List, Optional

from mmwsss.apis.data_roots import split_ids
from mmwsss.cams.erasing import write_erase_masks
from mmwsss.datasets import dataset_type_of
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class MineRegions(BaseStage):
    """Mine each CAM-split image's regions from a round's CAMs (any
    labelled class's normalised map above ``threshold``) and write their
    union with the earlier rounds' as 0/1 PNGs in ``<folder>/mined``; the
    next round erases them.

    Args:
        cams (str): Key of the round's :class:`ErasedCAMs`.
        threshold (float): The hard threshold on normalised CAMs.
        previous (str, optional): Key of the previous round's
            :class:`MineRegions`.
    """
    inputs = ('cams', 'previous')

    def __init__(self, cams: str, threshold: float,
                 previous: Optional[str] = None):
        super().__init__(cams=cams, previous=previous)
        self.threshold = threshold

    def mined_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, 'mined')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(threshold=self.threshold, split=ctx.split('cam'))

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.mined_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        split = ctx.split('cam')
        previous = up['previous']
        figures = write_erase_masks(
            up['cams']['cam_dir'],
            split_ids(ctx.data_root, split),
            self.threshold,
            self.mined_dir(ctx),
            previous_dir=None if previous is None else previous['mined_dir'],
            truth_dir=dataset_type_of(ctx.data_root).true_mask_dir(
                ctx.data_root, split))
        return dict(mined_dir=self.mined_dir(ctx), **figures)
