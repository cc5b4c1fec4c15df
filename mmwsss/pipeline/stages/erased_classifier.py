"""Stage: a classifier of one adversarial-erasing round."""
from typing import Dict, Optional

from mmengine.config import Config

from mmwsss.apis import load_config
from mmwsss.cams.erasing import check_training_ids_covered, set_erase_dir
from ..base import BaseStage, PipelineContext
from ..record import config_inputs
from ..registry import STAGES
from .train_classifier import TrainClassifier


@STAGES.register_module()
class ErasedClassifier(TrainClassifier):
    """A :class:`TrainClassifier` of an adversarial-erasing round, trained
    on the images with the regions mined by the earlier rounds erased (the
    config's ``EraseRegions`` step pointed at them).

    Args:
        config (str): The adversarial-erasing config.
        erased_by (str, optional): Key of the previous round's
            :class:`MineRegions`; None in the first round.
        cfg_options (dict, optional): Overrides of this stage alone.
    """
    inputs = ('erased_by', )

    def __init__(self,
                 config: str,
                 erased_by: Optional[str] = None,
                 cfg_options: Optional[dict] = None):
        BaseStage.__init__(self, erased_by=erased_by)
        self.config = config
        self.cfg_options = dict(cfg_options or {})

    def check(self, ctx: PipelineContext) -> None:
        cfg = load_config(self.config, self.options(ctx),
                          data_root=ctx.data_root)
        set_erase_dir(cfg, None)
        check_training_ids_covered(cfg, ctx.data_root, ctx.split('cam'))

    def erase_dir(self, up: Dict[str, dict]) -> Optional[str]:
        erased_by = up.get('erased_by')
        return None if erased_by is None else erased_by['mined_dir']

    def build_config(self, ctx: PipelineContext,
                     up: Optional[Dict[str, dict]] = None) -> Config:
        up = self.up if up is None else up
        cfg = load_config(self.config, self.options(ctx),
                          data_root=ctx.data_root)
        set_erase_dir(cfg, self.erase_dir(up))
        return cfg

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        # How many rounds follow does not change this one (its mining
        # threshold is an input of the mining stage).
        config = config_inputs(self.build_config(ctx, up))
        config.pop('adversarial_erasing_cfg', None)
        return dict(config=config, data_root=ctx.data)

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(super().run(ctx, up), erase_dir=self.erase_dir(up))
