"""Stage: pseudo labels of CAMs with a constant background, dense CRF."""
import os.path as osp
from typing import Dict, List, Optional

from mmwsss.pseudo_labels import (CLIP_ES_CRF, CRF_DEFAULTS,
                                  PAR_LABEL_DEFAULTS,
                                  generate_pseudo_labels,
                                  resolve_pseudo_label_settings)
from mmwsss.utils.errors import InputFileNotFoundError
from ..base import BaseStage, PipelineContext, check_choice
from ..refinement import seed_method_config
from ..registry import STAGES

#: How the CRF labels and IRN's walk get their background threshold: each
#: the best of its own scores swept on the seed split, or the configs'.
BG_RULES = ('swept', 'config')


@STAGES.register_module()
class CRFLabels(BaseStage):
    """Pseudo labels of CAM files (``<folder>/<name>/<id>.png``): a
    background score, the argmax, then a dense CRF.

    The background threshold follows the pipeline's ``bg_rule``:
    ``'swept'``, the best threshold of the seeds' sweep; ``'config'``, the
    seed method's config (``pseudo_label_cfg`` then
    ``model.test_cfg.bg_threshold``). A ``bg_threshold`` in ``settings``
    wins over both.

    Args:
        cams (str): Key of the stage that wrote the CAM files.
        seeds (str): Key of their :class:`SeedEvaluation`.
        settings (dict, optional): Settings of
            :func:`~mmwsss.pseudo_labels.generate_pseudo_labels` over the
            defaults (``mode``, ``bg_threshold``, ``crf`` (None: no CRF),
            ``saliency_dir``, ...).
        split (str): The split or its role; ``'auto'``: the CAM split when
            the pipeline trains on these labels (``refine`` is the
            pipeline's, or it with ``+merge``: merged with mask proposals),
            else only the seed split, to compare with a random walk.
        refine (str): The ``refine`` these labels stand for (``'crf'``;
            ``'par'`` with ``settings=dict(mode='par')``: ToCo's
            PAR-refined labels).
    """
    inputs = ('cams', 'seeds')

    def __init__(self,
                 cams: str,
                 seeds: str,
                 settings: Optional[dict] = None,
                 split: str = 'auto',
                 refine: str = 'crf'):
        super().__init__(cams=cams, seeds=seeds)
        self.overrides = dict(settings or {})
        self.split = split
        self.refine = refine

    def label_split(self, ctx: PipelineContext) -> str:
        if self.split == 'auto':
            trained = ctx.setting('refine') in (self.refine,
                                                self.refine + '+merge')
            return ctx.split('cam' if trained else 'seed')
        return ctx.split(self.split)

    def check(self, ctx: PipelineContext) -> None:
        check_choice('bg_rule', 'bg_rule', ctx.setting('bg_rule', 'swept'),
                     BG_RULES)
        saliency_dir = self.overrides.get('saliency_dir')
        if saliency_dir is not None and not osp.isdir(saliency_dir):
            raise InputFileNotFoundError(
                f'saliency folder not found: {saliency_dir}')

    def label_settings(self, ctx: PipelineContext,
                       up: Dict[str, dict]) -> dict:
        """The resolved settings of the labels."""
        overrides = dict(self.overrides)
        mode = overrides.pop('mode', 'argmax')
        cfg = None
        if ctx.setting('bg_rule', 'swept') == 'swept':
            overrides.setdefault('bg_threshold', up['seeds']['best_threshold'])
        else:
            cfg = seed_method_config(ctx)
        if mode == 'par':
            # Both of ToCo's passes at the seeds' background (swept, or the
            # config's): its 0.7 / 0.25 suit its online CAMs, not CAM files
            # normalised by their maximum (configs/par/README.md).
            seeds, _ = resolve_pseudo_label_settings(
                'argmax',
                {'bg_threshold': overrides.get('bg_threshold')},
                cfg=cfg)
            par = dict(PAR_LABEL_DEFAULTS,
                       high_threshold=seeds['bg_threshold'],
                       low_threshold=seeds['bg_threshold'])
            par.update(overrides.get('par', None) or {})
            return dict(mode='par', par=par, crf=None)
        settings, _ = resolve_pseudo_label_settings(
            mode, overrides, cfg=cfg)
        # CLIP-ES's CRF runs over scores, with its own constants.
        settings.update(
            mode=mode,
            crf=CLIP_ES_CRF if mode == 'confident_crf' else CRF_DEFAULTS)
        settings.update(overrides)
        if settings.get('saliency_dir') is not None:
            settings['saliency_dir'] = osp.abspath(settings['saliency_dir'])
        return settings

    def label_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        return dict(
            settings=self.label_settings(ctx, up),
            split=self.label_split(ctx),
            data_root=ctx.data)

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.label_dir(ctx)]

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        settings = self.label_settings(ctx, up)
        written = generate_pseudo_labels(
            up['cams']['cam_dir'],
            ctx.data_root,
            self.label_split(ctx),
            self.label_dir(ctx),
            num_classes=ctx.num_classes,
            num_workers=ctx.num_workers,
            overwrite=True,
            **settings)
        return dict(
            label_dir=self.label_dir(ctx), settings=settings,
            written=written)
