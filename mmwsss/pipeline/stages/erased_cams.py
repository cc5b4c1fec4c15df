"""Stage: the CAM files of one adversarial-erasing round."""
import copy
from typing import Dict, List, Optional

from mmwsss.apis import init_cam_model
from mmwsss.cams.generate import DEFAULT_SCALES, generate_cams
from mmwsss.cams.erasing import set_erase_dir
from mmwsss.datasets import build_split_dataset
from mmwsss.utils.errors import InputValueError
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class ErasedCAMs(BaseStage):
    """CAM files of the CAM split by a round's classifier, on the images as
    it saw them: erased by the earlier rounds' regions.

    Args:
        classifier (str): Key of the round's :class:`ErasedClassifier`.
        erased_by (str, optional): Key of the previous round's
            :class:`MineRegions`.
    """
    inputs = ('classifier', 'erased_by')

    def __init__(self, classifier: str, erased_by: Optional[str] = None):
        super().__init__(classifier=classifier, erased_by=erased_by)

    def cam_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, 'cams')

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(split=ctx.split('cam'), data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.cam_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        cfg = self.upstream['classifier'].build_config(ctx)
        model, cfg = init_cam_model(cfg, up['classifier']['checkpoint'],
                                    ctx.device)
        pipeline = None
        if up['erased_by'] is not None:
            erase = copy.deepcopy(
                set_erase_dir(cfg, up['erased_by']['mined_dir']))
            pipeline = [
                dict(type='LoadImageFromFile'), erase,
                dict(type='PackWSSSInputs')
            ]
        dataset = build_split_dataset(
            cfg, ctx.split('cam'), ctx.data_root, pipeline=pipeline)
        num_classes = len(dataset.metainfo['classes']) - 1
        if num_classes != model.num_classes:
            raise InputValueError(
                f"{up['classifier']['checkpoint']}: the model has "
                f'{model.num_classes} classes but the dataset has '
                f'{num_classes} foreground classes')
        written = generate_cams(
            model, dataset, self.cam_dir(ctx), scales=DEFAULT_SCALES)
        return dict(cam_dir=self.cam_dir(ctx), written=written)
