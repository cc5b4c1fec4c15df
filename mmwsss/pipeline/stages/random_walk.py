"""Stage: the random walk of a trained affinity network."""
from typing import Dict, List, Optional

from mmwsss.apis import make_sem_seg_labels
from mmwsss.pseudo_labels import CRF_DEFAULTS
from ..base import BaseStage, PipelineContext, check_choice
from ..refinement import check_walk, walk_settings
from ..registry import STAGES


@STAGES.register_module()
class RandomWalk(BaseStage):
    """Propagate CAMs by the random walk of a trained IRN or AffinityNet
    over the CAM split (see :func:`~mmwsss.apis.make_sem_seg_labels`),
    writing ``<folder>/<name>``: the walk's scores in the CAM file contract
    (``output='scores'``, IRN: thresholded later) or its labels
    (``'labels'``).

    Args:
        trained (str): Key of the :class:`TrainAffinityNet` stage.
        cams (str): Key of the stage that wrote the CAM files.
        walk (str): ``'irn'`` or ``'psa'``.
        config (str): The network's config (its ``random_walk_cfg``).
        output (str): ``'scores'`` or ``'labels'``.
        alpha_from (str, optional): Key of a :class:`PSAAlphaSweep` whose
            best background exponent the walk's labels use.
        crf (bool): A dense CRF on the walk's labels.
    """
    inputs = ('trained', 'cams', 'alpha_from')

    def __init__(self,
                 trained: str,
                 cams: str,
                 walk: str,
                 config: str,
                 output: str = 'labels',
                 alpha_from: Optional[str] = None,
                 crf: bool = False):
        super().__init__(trained=trained, cams=cams, alpha_from=alpha_from)
        check_walk(walk, type(self).__name__)
        check_choice(type(self).__name__, 'output', output,
                     ('scores', 'labels'))
        self.walk = walk
        self.config = config
        self.output = output
        self.crf = crf

    def walk_settings(self, ctx: PipelineContext,
                      up: Dict[str, dict]) -> dict:
        settings = walk_settings(ctx, self.walk, self.config)
        if up.get('alpha_from') is not None:
            settings['alpha'] = up['alpha_from']['best_alpha']
        return settings

    def check(self, ctx: PipelineContext) -> None:
        walk_settings(ctx, self.walk, self.config)

    def out_dir(self, ctx: PipelineContext) -> str:
        return self.out_path(ctx, self.name)

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        settings = dict(
            settings=self.walk_settings(ctx, up),
            split=ctx.split('cam'),
            data_root=ctx.data)
        if self.crf:
            settings['crf'] = CRF_DEFAULTS
        return settings

    def folders(self, ctx: PipelineContext) -> List[str]:
        return [self.out_dir(ctx)]

    def prune(self, ctx: PipelineContext) -> None:
        # Under bg_rule='config' the exponent is the config's: no sweep.
        if ctx.setting('bg_rule', 'swept') == 'config':
            self.references['alpha_from'] = None

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        settings = self.walk_settings(ctx, up)
        out_dir = self.out_dir(ctx)
        scores = self.output == 'scores'
        written = make_sem_seg_labels(
            up['trained']['config'],
            up['trained']['checkpoint'],
            up['cams']['cam_dir'],
            None if scores else out_dir,
            split=ctx.split('cam'),
            data_root=ctx.data_root,
            settings=settings,
            score_dir=out_dir if scores else None,
            num_workers=ctx.num_workers,
            device=ctx.device,
            overwrite=True,
            crf=CRF_DEFAULTS if self.crf else None)
        outputs = dict(cam_dir=out_dir) if scores else dict(
            label_dir=out_dir)
        return dict(outputs, settings=settings, written=written)
