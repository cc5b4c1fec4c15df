"""The record of a pipeline's stages and the rule that reruns them: each
stage is recorded in its folder's ``stages.json`` with a fingerprint of
its settings and inputs, skipped on a rerun only under the same
fingerprint, resumed when it was interrupted under it, and rerun (with
everything that reads it, through their fingerprints) when it changed."""
import argparse
import json
import os
import os.path as osp
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any, Callable, Dict, Iterator, Optional, Sequence

from mmengine.config import Config

from mmwsss.utils import (changed_settings, clear_folder, describe_changes,
                          fingerprint, flatten_settings, path_inside,
                          portable, save_json)
from mmwsss.utils.console import console, console_stream
from mmwsss.utils.errors import InputValueError, SettingsChangedError
from mmwsss.utils.progress import is_terminal

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


#: What a rerun does with a stage whose settings changed: ``'rerun'`` it
#: (and, through their fingerprints, every stage that reads it) or
#: ``'stop'`` with the changed settings named. A stale result is never
#: reused.
ON_CHANGE_CHOICES = ('rerun', 'stop')
# This process's stages: finished (by label) and the one running, for the
# line Ctrl-C prints.
_PROGRESS = dict(finished=[], running=None, on_change='rerun')


def set_on_change(on_change: str) -> None:
    """Choose what a rerun does with a stage whose settings changed; see
    :data:`ON_CHANGE_CHOICES`."""
    if on_change not in ON_CHANGE_CHOICES:
        raise InputValueError(f'on_change must be one of '
                              f'{ON_CHANGE_CHOICES}, got {on_change!r}')
    _PROGRESS['on_change'] = on_change


def add_on_change_argument(parser: argparse.ArgumentParser) -> None:
    """``--on-change`` of the tools that run pipeline stages (see
    :func:`set_on_change`)."""
    parser.add_argument(
        '--on-change',
        choices=ON_CHANGE_CHOICES,
        default='rerun',
        help='what a rerun does with a finished stage whose settings '
        'changed: rerun it and what depends on it, or stop naming the '
        'changed settings; a stale result is never reused (default: '
        '%(default)s)')


def interrupted_stages() -> str:
    """What this process finished and where it stopped, for the line a
    tool prints on Ctrl-C."""
    finished = _PROGRESS['finished']
    parts = []
    if finished:
        parts.append('finished: ' + ', '.join(finished))
    if _PROGRESS['running']:
        parts.append(f"stopped in {_PROGRESS['running']}")
    return '; '.join(parts)


class StageRecord:
    """The stages of a work dir, kept in ``<work_dir>/stages.json``: per
    stage its status (``running`` / ``finished``), the fingerprint and
    flattened settings it was computed under, its seconds and its outputs.

    Output paths inside ``root`` (the pipeline's work dir) are stored
    relative to ``work_dir`` and resolved on reading, so a moved or copied
    work dir reads its own files.

    Args:
        work_dir (str): The folder whose stages are recorded.
        root (str, optional): The work dir of the whole run (default
            ``work_dir``): fingerprints write paths under it relative to
            it.
    """

    def __init__(self, work_dir: str, root: Optional[str] = None):
        self.work_dir = osp.abspath(work_dir)
        self.root = osp.abspath(root or work_dir)
        self.path = osp.join(self.work_dir, 'stages.json')
        self.stages = {}
        # The stages run or skipped by this process, in order.
        self.used = []
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.stages = json.load(f)

    def entry(self, name: str) -> Optional[dict]:
        """The raw record of stage ``name``, or None."""
        return self.stages.get(name)

    def done(self, name: str) -> bool:
        """Whether ``name`` finished (under whatever settings)."""
        entry = self.entry(name)
        return entry is not None and entry.get('status') == 'finished'

    def get(self, name: str) -> dict:
        """The outputs of ``name`` with their paths resolved, its
        ``seconds`` and ``fingerprint``."""
        entry = self.stages[name]
        outputs = dict(entry.get('outputs', {}))
        for key in entry.get('paths', ()):
            outputs[key] = osp.normpath(osp.join(self.work_dir, outputs[key]))
        return dict(
            outputs,
            seconds=entry.get('seconds', 0.0),
            fingerprint=entry.get('fingerprint'))

    def _save(self) -> None:
        save_json(self.stages, self.path)

    def start(self, name: str, digest: str, inputs: dict) -> None:
        """Record that ``name`` runs under ``inputs`` (fingerprint
        ``digest``), so that an interruption resumes only under them."""
        self.stages[name] = dict(
            status='running', fingerprint=digest, inputs=inputs)
        self._save()

    def finish(self, name: str, seconds: float, **outputs) -> None:
        """Record ``name`` as finished with ``outputs``."""
        entry = self.stages.setdefault(
            name, dict(fingerprint=None, inputs={}))
        paths = []
        for key, value in outputs.items():
            if path_inside(value, self.root):
                outputs[key] = osp.relpath(value, self.work_dir)
                paths.append(key)
        entry.update(
            status='finished',
            seconds=round(seconds, 1),
            outputs=outputs,
            paths=paths)
        self._save()

    def seconds(self) -> Dict[str, float]:
        """Seconds of the stages this process ran or skipped (all finished
        ones when it used none)."""
        names = self.used or [n for n in self.stages if self.done(n)]
        return {n: self.stages[n].get('seconds', 0.0) for n in names
                if self.done(n)}


def stage_label(record: StageRecord, name: str) -> str:
    """``<work dir name>/<stage>``, as the console shows a stage."""
    return f'{osp.basename(osp.normpath(record.work_dir))}/{name}'


def run_stage(record: StageRecord,
              name: str,
              work: Callable[[], dict],
              summarize: Optional[Callable[[dict], str]] = None,
              inputs: Optional[dict] = None,
              folders: Sequence[str] = ()) -> dict:
    """Run ``work()`` (returning a dict of outputs) unless stage ``name``
    finished under the same ``inputs``; record its outputs and seconds.

    ``inputs`` is everything the result depends on: resolved settings,
    config contents and overrides, the data root and split, and the
    ``fingerprint`` of each stage it reads. A stage recorded under other
    inputs (or with no record, or from before fingerprints) reruns, and
    so, through their fingerprints, does every stage that reads it; with
    :func:`set_on_change` ``'stop'`` it stops instead, naming the changed
    settings. Before a rerun its ``folders`` are emptied; an interrupted
    stage under the same inputs keeps them and resumes.

    When quiet, its output goes to ``<work_dir>/logs/<name>.log`` and the
    console gets one line: the stage, then its seconds and
    ``summarize(outputs)``.

    Returns:
        dict: The stage's recorded outputs, with its ``fingerprint``.
    """
    label = stage_label(record, name)
    inputs = portable(dict(inputs or {}), record.root)
    flat = flatten_settings(inputs)
    digest = fingerprint(flat)
    entry = record.entry(name)
    if name not in record.used:
        record.used.append(name)
    if entry is not None and entry.get('fingerprint') == digest and \
            entry.get('status') == 'finished':
        if not is_verbose():
            console(f'{label}: finished earlier under the same settings, '
                    'skipped')
        return record.get(name)
    resuming = entry is not None and entry.get('fingerprint') == digest
    if not resuming:
        _prepare_rerun(record, label, entry, flat, folders)
    log_file = osp.join(record.work_dir, 'logs', f'{name}.log')
    # On a terminal one line per stage, rewritten in place; in a log file a
    # line when it starts, its progress now and then, and its result.
    terminal = is_terminal(console_stream())
    if not is_verbose():
        console(f'{label}{" (resumed)" if resuming else ""} ...',
                end='' if terminal else '\n')
    start = time.time()
    record.start(name, digest, flat)
    _PROGRESS['running'] = label
    with stage_output(log_file):
        outputs = work()
    _PROGRESS['running'] = None
    _PROGRESS['finished'].append(label)
    record.finish(name, time.time() - start, **outputs)
    if not is_verbose():
        result = summarize(record.get(name)) if summarize else ''
        line = (f'{label}: {time.time() - start:.0f} s'
                f'{", " + result if result else ""}  (log: {log_file})')
        # Padded over the iteration count the line showed while training.
        console('\r' + line.ljust(110) if terminal else line)
    return record.get(name)


def _prepare_rerun(record: StageRecord, label: str, entry: Optional[dict],
                   flat: dict, folders: Sequence[str]) -> None:
    """Stop (``on_change='stop'``) or empty the folders of a stage about to
    run under other settings than its record's."""
    if entry is None:
        changes = None
    elif entry.get('fingerprint') is None:
        changes = 'recorded without its settings (an older mmwsss)'
    else:
        changes = describe_changes(
            changed_settings(entry.get('inputs', {}), flat))
    stale = [f for f in folders if osp.isdir(f) and os.listdir(f)]
    if changes is None and not stale:
        return
    reason = changes or 'results without a record of their settings'
    if _PROGRESS['on_change'] == 'stop':
        raise SettingsChangedError(
            f'{label}: settings changed since it ran (recorded -> now): '
            f'{reason}; rerun with --on-change rerun to recompute it and '
            'what depends on it, or use another work dir')
    console(f'{label}: settings changed ({reason}); recomputing')
    for folder in stale:
        clear_folder(folder)


def summarize_json(path: str, template: str) -> str:
    """``template`` filled from the JSON result at ``path``."""
    with open(path) as f:
        return template.format(**json.load(f))


def relative_paths(value: Any, work_dir: str) -> Any:
    """``value`` with every absolute path inside ``work_dir`` written
    relative to it, recursively through dicts and lists."""
    if isinstance(value, dict):
        return {k: relative_paths(v, work_dir) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [relative_paths(v, work_dir) for v in value]
    if path_inside(value, work_dir):
        return osp.relpath(value, work_dir)
    return value


def save_summary(summary: dict, work_dir: str) -> None:
    """Write ``<work_dir>/summary.json`` with every path inside the work
    dir relative to it, so that a moved work dir reports its own files
    (``data_root`` and other outside paths stay absolute)."""
    save_json(
        relative_paths(summary, work_dir), osp.join(work_dir, 'summary.json'))


def config_inputs(cfg: Config) -> dict:
    """A config's content as a stage's input: every key but ``work_dir``
    (where it runs is not what it computes)."""
    content = cfg.to_dict()
    content.pop('work_dir', None)
    return content


def data_identity(data_root: str) -> str:
    """The data root as stage fingerprints record it: its real path, so
    that another dataset (or the same one under another name) is another
    input."""
    return osp.realpath(data_root)
