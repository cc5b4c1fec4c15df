"""Stage: the sweep of AffinityNet's background exponent."""
import os.path as osp
from typing import Dict

from mmwsss.apis.random_walk import (PSA_ALPHAS, format_alpha_sweep,
                                     sweep_psa_alpha)
from ..base import EvaluationStage, PipelineContext
from ..refinement import walk_settings
from ..registry import STAGES


@STAGES.register_module()
class PSAAlphaSweep(EvaluationStage):
    """AffinityNet's labels of a split at every background exponent alpha
    of :data:`~mmwsss.apis.random_walk.PSA_ALPHAS`, in one walk per image
    (see :func:`~mmwsss.apis.random_walk.sweep_psa_alpha`), kept in the
    network's folder as ``alpha_sweep_<split>.json``.

    Args:
        trained (str): Key of the :class:`TrainAffinityNet` stage.
        cams (str): Key of the stage that wrote the CAM files.
        config (str): The network's config (its ``random_walk_cfg``).
        split (str): The split or its role (default the seed split).
    """
    inputs = ('trained', 'cams')
    template = 'mIoU {best_miou:.2f} at alpha {best_alpha:g}'

    def __init__(self, trained: str, cams: str, config: str,
                 split: str = 'seed'):
        super().__init__(trained=trained, cams=cams)
        self.config = config
        self.split = split

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            settings=walk_settings(ctx, 'psa', self.config),
            alphas=PSA_ALPHAS,
            split=ctx.split(self.split),
            data_root=ctx.data)

    def result_file(self, ctx: PipelineContext, up: Dict[str, dict]) -> str:
        return osp.join(
            osp.dirname(up['trained']['config']),
            f'alpha_sweep_{ctx.split(self.split)}.json')

    def evaluate(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return sweep_psa_alpha(
            up['trained']['config'],
            up['trained']['checkpoint'],
            up['cams']['cam_dir'],
            ctx.split(self.split),
            data_root=ctx.data_root,
            settings=walk_settings(ctx, 'psa', self.config),
            alphas=PSA_ALPHAS,
            num_workers=ctx.num_workers,
            device=ctx.device)

    def table(self, result: dict) -> str:
        return format_alpha_sweep(result)
