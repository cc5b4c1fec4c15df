"""Stage: the merge of several rounds' CAM files."""
from typing import Dict, List, Optional, Sequence

from mmwsss.apis.data_roots import split_ids
from mmwsss.cams.erasing import write_merged_cams
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class MergeCAMs(BaseStage):
    """Merge the CAM files of several stages in the CAM file contract:
    each class's map is the maximum of theirs, so that at any threshold
    its region is the union of theirs (adversarial erasing's merge).

    Args:
        cams (Sequence[str]): Keys of the stages whose CAM files merge.
        split (str): The split or its role.
        out_dir (str, optional): The output folder's name (default the
            stage's name).
    """
    inputs = ('cams', )

    def __init__(self, cams: Sequence[str], split: str = 'cam',
                 out_dir: Optional[str] = None):
        super().__init__(cams=list(cams))
        self.split = split
        self.out_dir_name = out_dir

    def cam_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.out_dir_name or self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(split=ctx.split(self.split))

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.cam_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        written = write_merged_cams([c['cam_dir'] for c in up['cams']],
                                    split_ids(ctx.data_root,
                                              ctx.split(self.split)),
                                    self.cam_dir(ctx))
        return dict(cam_dir=self.cam_dir(ctx), written=written)
