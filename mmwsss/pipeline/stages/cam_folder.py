"""Stage: CAM files made elsewhere."""
import os.path as osp
from typing import Dict

from mmwsss.utils import folder_fingerprint
from mmwsss.utils.errors import InputNotADirectoryError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class CAMFolder(BaseStage):
    """A folder of CAM files in the CAM file contract made elsewhere (by
    ``tools/make_cams.py``, another toolbox), for the stages that read
    CAMs. Its fingerprint is the folder's manifest's, else its path. Not
    recorded.

    Args:
        cam_dir (str): The folder.
    """
    recorded = False

    def __init__(self, cam_dir: str):
        super().__init__()
        self.cam_dir = osp.abspath(cam_dir)

    def check(self, ctx: PipelineContext) -> None:
        if not osp.isdir(self.cam_dir):
            raise InputNotADirectoryError(
                f'stages[{self.key!r}].cam_dir: no folder {self.cam_dir}')

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            cam_dir=self.cam_dir,
            fingerprint=folder_fingerprint(self.cam_dir)
            or osp.realpath(self.cam_dir))
