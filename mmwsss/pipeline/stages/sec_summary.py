"""Stage: the seed summary of SEC."""
from typing import Dict, Optional

from mmwsss.apis.data_roots import split_ids
from mmwsss.visualization import render_label_grid
from ..base import BaseStage, PipelineContext
from ..record import save_summary
from ..registry import STAGES


@STAGES.register_module()
class SECSummary(BaseStage):
    """SEC's seed summary (``<folder>/summary.json``): ``seed_miou`` (its
    labels' mIoU on the seed split), ``cue_miou`` and
    ``cue_ignored_fraction`` (the cues'), ``val_miou`` (the network's on
    its config's test split), ``checkpoint``, ``label_dir`` and
    ``config_file`` (the config trained); ``seed_threshold``,
    ``background_miou`` and ``classifier_map`` are None (no threshold, no
    classifier). Draws ``<folder>/figures/labels.png`` when missing. Not
    recorded.

    Args:
        cues (str): Key of the :class:`SECCues`.
        trained (str): Key of the SEC network's training.
        labels (str): Key of its :class:`SECLabels` of the seed split.
        label_eval (str): Key of their evaluation.
        cams (str): Key of the CAMs the cues came from.
        cue_eval (str, optional): Key of the cues' evaluation.
        config (str): The SEC config.
    """
    inputs = ('cues', 'trained', 'labels', 'label_eval', 'cams', 'cue_eval')
    recorded = False

    def __init__(self, config: str, **references: Optional[str]):
        super().__init__(**references)
        self.config = config

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        trained, cue_eval = up['trained'], up['cue_eval']
        label_dir = up['labels']['label_dir']
        figure = self.out_path(ctx, 'figures', 'labels.png')
        render_label_grid(
            ctx.data_root, label_dir,
            split_ids(ctx.data_root, ctx.split('seed'))[:4], figure,
            title='SEC', split=ctx.split('seed'))
        summary = dict(
            data_root=ctx.data_root,
            config=self.config,
            cam_dir=up['cams']['cam_dir'],
            cue_dir=up['cues']['label_dir'],
            cue_settings=up['cues']['settings'],
            cue_miou=cue_eval['miou'] if cue_eval else None,
            cue_ignored_fraction=cue_eval['ignored_fraction']
            if cue_eval else None,
            seed_split=ctx.split('seed'),
            seed_miou=up['label_eval']['miou'],
            seed_threshold=None,
            background_miou=None,
            classifier_map=None,
            val_miou=trained['metrics'].get('mIoU'),
            load_from=trained.get('load_from'),
            seconds_per_iter=trained['seconds_per_iter'],
            checkpoint=trained['checkpoint'],
            config_file=trained['config'],
            label_dir=label_dir,
            figure=figure,
            fingerprints=dict(
                cues=up['cues']['fingerprint'],
                train=trained['fingerprint'],
                labels=up['labels']['fingerprint']),
            stage_seconds={
                k[len(self.folder) + 1:]: v
                for k, v in ctx.stage_seconds().items()
                if k.startswith(self.folder + '/')
            })
        save_summary(summary, self.out_path(ctx))
        return summary
