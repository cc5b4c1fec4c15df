"""Resumable stages: a record of the finished ones and mmengine training
that resumes from its last checkpoint. Shared by every pipeline driver."""
import json
import os.path as osp
import time

from mmengine.runner import Runner

from mmwsss.checkpoint import check_checkpoint_fits
from mmwsss.utils import save_json


class StageRecord:
    """Finished stages and their outputs, kept in ``stages.json``."""

    def __init__(self, work_dir):
        self.path = osp.join(work_dir, 'stages.json')
        self.stages = {}
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.stages = json.load(f)

    def done(self, name):
        return name in self.stages

    def get(self, name):
        return self.stages[name]

    def finish(self, name, seconds, **outputs):
        self.stages[name] = dict(seconds=round(seconds, 1), **outputs)
        save_json(self.stages, self.path)

    def seconds(self):
        return {k: v['seconds'] for k, v in self.stages.items()}


def _last_checkpoint(work_dir):
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = f.read().strip()
    return checkpoint if osp.isfile(checkpoint) else None


def train_and_test(cfg, work_dir, test=True):
    """Train with mmengine's Runner (resuming an interrupted run from its
    last checkpoint), then test on the config's test split unless ``test``
    is false.

    Returns:
        tuple: ``(checkpoint, test metrics, mean seconds per iteration)``.
    """
    cfg.work_dir = work_dir
    cfg.resume = _last_checkpoint(work_dir) is not None
    runner = Runner.from_cfg(cfg)
    if cfg.get('load_from') and not cfg.resume:
        check_checkpoint_fits(runner.model, cfg.load_from, allow_missing=True)
    runner.train()
    seconds_per_iter = float(
        runner.message_hub.get_scalar('train/time').mean())
    metrics = runner.test() if test else {}
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint is None:
        raise RuntimeError(f'{work_dir}: training wrote no checkpoint')
    return checkpoint, {k: float(v)
                        for k, v in metrics.items()}, seconds_per_iter


def run_stage(record, name, work):
    """Run ``work()`` (returning a dict of outputs) unless stage ``name`` is
    recorded as finished; record its outputs and seconds.

    Returns:
        dict: The stage's recorded outputs.
    """
    if not record.done(name):
        start = time.time()
        outputs = work()
        record.finish(name, time.time() - start, **outputs)
    return record.get(name)
