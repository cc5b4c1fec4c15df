"""Stage: CAM files of a trained classifier."""
from typing import Dict, List

from mmwsss.apis import make_cams
from ..base import BaseStage, PipelineContext, check_choice
from ..registry import STAGES

CAM_METHODS = ('cam', 'gradcam', 'gradcam++')


@STAGES.register_module()
class MakeCAMs(BaseStage):
    """Write the CAM files (``<folder>/cams/<id>.npy``, the CAM file
    contract) of a split with a trained classifier's weights, multi-scale
    and flipped as its config's ``test_cfg`` states.

    Args:
        classifier (str): Key of the :class:`TrainClassifier` stage.
        method (str): ``'cam'``, ``'gradcam'`` or ``'gradcam++'`` (Grad-CAM
            reads the CAM classifier's weights with another rule).
        split (str): The split, or its role (``'cam'``, see
            :meth:`PipelineContext.split`).
    """
    inputs = ('classifier', )

    def __init__(self, classifier: str, method: str = 'cam',
                 split: str = 'cam'):
        super().__init__(classifier=classifier)
        check_choice(type(self).__name__, 'method', method, CAM_METHODS)
        self.method = method
        self.split = split

    def cam_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, 'cams')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        cfg = self.upstream['classifier'].build_config(ctx)
        return dict(
            model=cfg.model.to_dict(),
            method=self.method,
            split=ctx.split(self.split),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.cam_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        written = make_cams(
            self.upstream['classifier'].build_config(ctx),
            up['classifier']['checkpoint'],
            self.cam_dir(ctx),
            split=ctx.split(self.split),
            data_root=ctx.data_root,
            method=self.method,
            device=ctx.device,
            overwrite=True)
        return dict(cam_dir=self.cam_dir(ctx), written=written)
