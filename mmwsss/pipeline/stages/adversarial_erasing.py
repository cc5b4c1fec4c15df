"""Composite stage: iterative adversarial erasing."""
import os.path as osp
from typing import Dict, Optional

from mmwsss.apis import load_config
from mmwsss.cams.erasing import erasing_settings
from ..base import BaseStage, PipelineContext
from ..registry import STAGES


@STAGES.register_module()
class AdversarialErasing(BaseStage):
    """Adversarial erasing (Wei et al., CVPR 2017) as the stages it stands
    for, placed at its key ``<folder>/summary``: per round ``t`` of the
    config's ``adversarial_erasing_cfg.rounds``, under
    ``<folder>/round_<t>``, the classifier trained on the images erased by
    the earlier rounds (:class:`ErasedClassifier`), its CAMs
    (:class:`ErasedCAMs`), their seeds and its mined regions
    (:class:`MineRegions`), and for the middle rounds the merge so far on
    the seed split; then the merge of all rounds (``<folder>/cams``), its
    seeds (``<folder>/seeds``) and the summary.

    Args:
        config (str): The adversarial-erasing config (an ``EraseRegions``
            step in its training pipeline).
        cfg_options (dict, optional): Overrides of its training stages.
    """

    def __init__(self, config: str, cfg_options: Optional[dict] = None):
        super().__init__()
        self.config = config

    @classmethod
    def expand(cls, key: str, spec: dict,
               ctx: PipelineContext) -> Dict[str, dict]:
        """The stage specs that ``spec`` at ``key`` stands for."""
        folder = osp.dirname(key)
        config = spec['config']
        options = dict(ctx.setting('seed_cfg_options') or {})
        options.update(spec.get('cfg_options') or {})
        rounds, threshold = erasing_settings(load_config(config, options))
        stages, mined = {}, None
        for t in range(1, rounds + 1):
            at = f'{folder}/round_{t}'
            stages[f'{at}/train'] = dict(
                type='ErasedClassifier',
                config=config,
                erased_by=mined,
                cfg_options=spec.get('cfg_options'))
            stages[f'{at}/cams'] = dict(
                type='ErasedCAMs', classifier=f'{at}/train', erased_by=mined)
            stages[f'{at}/seeds'] = dict(
                type='SeedEvaluation', cams=f'{at}/cams')
            stages[f'{at}/mine'] = dict(
                type='MineRegions',
                cams=f'{at}/cams',
                threshold=threshold,
                previous=mined)
            if 1 < t < rounds:
                stages[f'{at}/merge'] = dict(
                    type='MergeCAMs',
                    cams=[f'{folder}/round_{r}/cams' for r in range(1, t + 1)],
                    split='seed',
                    out_dir='merged_cams')
                stages[f'{at}/merged_seeds'] = dict(
                    type='SeedEvaluation', cams=f'{at}/merge')
            mined = f'{at}/mine'
        stages[f'{folder}/cams'] = dict(
            type='MergeCAMs',
            cams=[f'{folder}/round_{r}/cams' for r in range(1, rounds + 1)],
            split='cam',
            out_dir='cams')
        stages[f'{folder}/seeds'] = dict(
            type='SeedEvaluation', cams=f'{folder}/cams')
        rounds_at = [f'{folder}/round_{r}' for r in range(1, rounds + 1)]
        stages[key] = dict(
            type='ErasingSummary',
            trains=[f'{r}/train' for r in rounds_at],
            round_seeds=[f'{r}/seeds' for r in rounds_at],
            mines=[f'{r}/mine' for r in rounds_at],
            merged_seeds=[f'{r}/merged_seeds' for r in rounds_at[1:-1]],
            cams=f'{folder}/cams',
            seeds=f'{folder}/seeds',
            config=config,
            rounds=rounds,
            threshold=threshold)
        return stages
