"""Resumable stages: a record of the finished ones and mmengine training
that resumes from its last checkpoint. Shared by every pipeline driver."""
import json
import os
import os.path as osp
import sys
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Callable, Dict, Iterator, Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmwsss.evaluation import evaluate_pseudo_labels, format_pseudo_label_table
from mmwsss.utils import check_checkpoint_fits, save_json

# Whether stages stream mmengine's logs to the console. When quiet, each
# stage prints one line (and a live iteration count while it trains) and
# its full output goes to ``<work_dir>/logs/<stage>.log``.
_OUTPUT = dict(verbose=True)
# Loggers made inside a quiet stage keep their stream (the stage's log
# file) for the life of the process, so the files stay open.
_STAGE_LOGS = []


def set_verbose(verbose: bool) -> None:
    """Stream every stage's full logs (``True``) or keep them in per-stage
    log files and print one line per stage (``False``)."""
    _OUTPUT['verbose'] = verbose


def is_verbose() -> bool:
    """Whether stages stream their full logs."""
    return _OUTPUT['verbose']


def console(message: str, end: str = '\n') -> None:
    """Write to the process's console even inside a quiet stage."""
    stream = sys.__stdout__ or sys.stdout
    stream.write(message + end)
    stream.flush()


@contextmanager
def stage_output(log_file: str) -> Iterator[None]:
    """Send stdout and stderr (mmengine's loggers included) to
    ``log_file`` unless verbose."""
    if is_verbose():
        yield
        return
    os.makedirs(osp.dirname(log_file), exist_ok=True)
    stream = open(log_file, 'a')
    _STAGE_LOGS.append(stream)
    with redirect_stdout(stream), redirect_stderr(stream):
        yield
    stream.flush()


class StageRecord:
    """Finished stages and their outputs, kept in ``stages.json``."""

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.path = osp.join(work_dir, 'stages.json')
        self.stages = {}
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.stages = json.load(f)

    def done(self, name: str) -> bool:
        return name in self.stages

    def get(self, name: str) -> dict:
        return self.stages[name]

    def finish(self, name: str, seconds: float, **outputs) -> None:
        self.stages[name] = dict(seconds=round(seconds, 1), **outputs)
        save_json(self.stages, self.path)

    def seconds(self) -> Dict[str, float]:
        return {k: v['seconds'] for k, v in self.stages.items()}


def _last_checkpoint(work_dir):
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = f.read().strip()
    return checkpoint if osp.isfile(checkpoint) else None


def release_dataloader_workers(runner: Runner) -> None:
    """Stop the runner's persistent dataloader workers now. Left to the
    garbage collector they are joined during the next stage's dataset
    building, which then stalls for about 30 s."""
    for loop_name in ('_train_loop', '_val_loop', '_test_loop'):
        loop = getattr(runner, loop_name, None)
        loader = getattr(loop, 'dataloader', None)
        iterator = getattr(loader, '_iterator', None)
        if iterator is not None and hasattr(iterator, '_shutdown_workers'):
            iterator._shutdown_workers()
            loader._iterator = None


def train_and_test(cfg: Config, work_dir: str, test: bool = True,
                   label: Optional[str] = None) -> tuple:
    """Train with mmengine's Runner (resuming an interrupted run from its
    last checkpoint), then test on the config's test split unless ``test``
    is false. A missing ``load_from`` fails before the Runner is built.

    Args:
        cfg (Config): The run's config.
        work_dir (str): The run's work directory.
        test (bool): Also test the last checkpoint.
        label (str, optional): Console name of the run; when quiet, a line
            counts its iterations.

    Returns:
        tuple: ``(checkpoint, test metrics, mean seconds per iteration)``.
    """
    cfg.work_dir = work_dir
    cfg.resume = _last_checkpoint(work_dir) is not None
    if cfg.get('load_from') and not cfg.resume and not osp.isfile(
            cfg.load_from):
        raise FileNotFoundError(
            f'load_from: no checkpoint at {cfg.load_from}')
    if not is_verbose():
        cfg.custom_hooks = list(cfg.get('custom_hooks', None) or []) + [
            dict(
                type='ConsoleProgressHook',
                label=label or osp.basename(osp.normpath(work_dir)))
        ]
    runner = Runner.from_cfg(cfg)
    if cfg.get('load_from') and not cfg.resume:
        check_checkpoint_fits(runner.model, cfg.load_from, allow_missing=True)
    runner.train()
    release_dataloader_workers(runner)
    seconds_per_iter = float(
        runner.message_hub.get_scalar('train/time').mean())
    metrics = runner.test() if test else {}
    release_dataloader_workers(runner)
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint is None:
        raise RuntimeError(f'{work_dir}: training wrote no checkpoint')
    return checkpoint, {k: float(v)
                        for k, v in metrics.items()}, seconds_per_iter


def stage_label(record: StageRecord, name: str) -> str:
    """``<work dir name>/<stage>``, as the console shows a stage."""
    return f'{osp.basename(osp.normpath(record.work_dir))}/{name}'


def run_stage(record: StageRecord,
              name: str,
              work: Callable[[], dict],
              summarize: Optional[Callable[[dict], str]] = None) -> dict:
    """Run ``work()`` (returning a dict of outputs) unless stage ``name`` is
    recorded as finished; record its outputs and seconds. When quiet, its
    output goes to ``<work_dir>/logs/<name>.log`` and the console gets one
    line: the stage, then its seconds and ``summarize(outputs)``.

    Returns:
        dict: The stage's recorded outputs.
    """
    label = stage_label(record, name)
    if record.done(name):
        if not is_verbose():
            console(f'{label}: finished earlier, skipped')
        return record.get(name)
    log_file = osp.join(record.work_dir, 'logs', f'{name}.log')
    if not is_verbose():
        console(f'{label} ...', end='')
    start = time.time()
    with stage_output(log_file):
        outputs = work()
    record.finish(name, time.time() - start, **outputs)
    if not is_verbose():
        result = summarize(record.get(name)) if summarize else ''
        # Padded over the iteration count the line showed while training.
        console(f'\r{label}: {time.time() - start:.0f} s'
                f'{", " + result if result else ""}  (log: {log_file})'
                .ljust(110))
    return record.get(name)


def summarize_json(path: str, template: str) -> str:
    """``template`` filled from the JSON result at ``path``."""
    with open(path) as f:
        return template.format(**json.load(f))


def evaluate_label_stage(record: StageRecord, name: str, label_dir: str,
                         data_root: str, split: str, out: str) -> dict:
    """Evaluate pseudo labels against the masks of ``split`` once; the
    result is kept in ``out``."""

    def work():
        result = evaluate_pseudo_labels(label_dir, data_root, split)
        save_json(result, out)
        print_log(format_pseudo_label_table(result), logger='current')
        return dict(result_json=out)

    run_stage(record, name, work, lambda outputs: summarize_json(
        outputs['result_json'], 'mIoU {miou:.2f}, precision '
        '{mean_precision:.2f}, recall {mean_recall:.2f}'))
    with open(out) as f:
        return json.load(f)
