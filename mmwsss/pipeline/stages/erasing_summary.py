"""Stage: the seed summary of adversarial erasing."""
from typing import Dict

import numpy as np

from ..base import BaseStage, PipelineContext
from ..record import save_summary
from ..registry import STAGES


@STAGES.register_module()
class ErasingSummary(BaseStage):
    """The seed summary of adversarial erasing (``<folder>/summary.json``):
    the keys of :class:`SeedSummary` (``classifier_map`` and
    ``val_seed_miou`` of round 1, ``checkpoint`` of the last round,
    ``seconds_per_iter`` the mean over rounds) and ``rounds``: per round
    the seed mIoU of its own CAMs and of the merge of the rounds so far,
    and how much of the images it left erased. Not recorded.

    Args:
        trains, round_seeds, mines (list[str]): Keys of each round's
            classifier, seeds and mined regions.
        merged_seeds (list[str]): Keys of the seeds of the merge so far of
            the middle rounds.
        cams (str): Key of the merge of all rounds.
        seeds (str): Key of its seeds.
        config (str): The adversarial-erasing config.
        rounds (int): The number of rounds.
        threshold (float): The mining threshold.
    """
    # Round by round: each round's seeds (and the stages they read) before
    # the next round's.
    inputs = ('round_seeds', 'mines', 'trains', 'merged_seeds', 'cams',
              'seeds')
    recorded = False

    def __init__(self, config: str, rounds: int, threshold: float,
                 **references):
        super().__init__(**references)
        self.config = config
        self.rounds = rounds
        self.threshold = threshold

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        merged = [up['round_seeds'][0]] + up['merged_seeds'] + [up['seeds']]
        entries = []
        for index, (train, seeds, mined) in enumerate(
                zip(up['trains'], up['round_seeds'], up['mines']), 1):
            metrics = train.get('metrics') or {}
            entries.append(
                dict(
                    round=index,
                    seed_miou=seeds['best_miou'],
                    seed_threshold=seeds['best_threshold'],
                    merged_seed_miou=merged[index - 1]['best_miou'],
                    merged_seed_threshold=merged[index - 1]
                    ['best_threshold'],
                    classifier_map=metrics.get('multi-label/mAP'),
                    val_seed_miou=metrics.get('mIoU'),
                    seconds_per_iter=train.get('seconds_per_iter'),
                    erased_fraction=mined['erased_fraction'],
                    mined_fraction=mined['mined_fraction'],
                    erased_precision=mined['erased_precision'],
                    checkpoint=train['checkpoint'],
                    mined_dir=mined['mined_dir']))
        times = [
            e['seconds_per_iter'] for e in entries
            if e['seconds_per_iter'] is not None
        ]
        seeds = up['seeds']
        summary = dict(
            data_root=ctx.data_root,
            config=self.config,
            checkpoint=entries[-1]['checkpoint'],
            seed_split=ctx.split('seed'),
            seed_miou=seeds['best_miou'],
            seed_threshold=seeds['best_threshold'],
            background_miou=seeds['background_miou'],
            classifier_map=entries[0]['classifier_map'],
            val_seed_miou=entries[0]['val_seed_miou'],
            cam_method='cam',
            seconds_per_iter=float(np.mean(times)) if times else None,
            cam_dir=up['cams']['cam_dir'],
            fingerprints=dict(
                train=up['trains'][-1]['fingerprint'],
                cams=up['cams']['fingerprint'],
                seeds=seeds['fingerprint']),
            stage_seconds={
                k[len(self.folder) + 1:]: v
                for k, v in ctx.stage_seconds().items()
                if k.startswith(self.folder + '/')
            },
            adversarial_erasing_cfg=dict(
                rounds=self.rounds, threshold=self.threshold),
            rounds=entries)
        save_summary(summary, self.out_path(ctx))
        return summary
