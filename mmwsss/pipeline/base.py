"""The base class of pipeline stages and the context every stage of a run
reads."""
import json
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.logging import print_log

from mmwsss.apis.data_roots import num_foreground_classes
from mmwsss.utils import save_evaluation
from mmwsss.utils.errors import InputKeyError, InputValueError
from .record import StageRecord, data_identity, summarize_json

#: The roles a stage may name instead of a split: the split whose CAMs and
#: pseudo labels are made, the one whose seeds and labels are evaluated
#: (it needs masks), and the segmentor's test split.
SPLIT_ROLES = dict(cam='cam_split', seed='seed_split', val='val_split')


class PipelineContext:
    """What the stages of one pipeline run share: the data root, the work
    dir and the stage records under it, the splits and the pipeline's
    top-level settings.

    Args:
        cfg (Config): The pipeline config.
        data_root (str): Dataset root in VOC or COCO layout.
        work_dir (str): The run's work dir.
        device (str, optional): Inference device.
        num_workers (int): Worker processes of the label writers.
    """

    def __init__(self,
                 cfg: Config,
                 data_root: str,
                 work_dir: str,
                 device: Optional[str] = None,
                 num_workers: int = 2):
        self.cfg = cfg
        self.data_root = osp.abspath(data_root)
        self.work_dir = osp.abspath(work_dir)
        self.device = device
        self.num_workers = num_workers
        self.splits = dict(cfg.data)
        missing = set(SPLIT_ROLES.values()) - set(self.splits)
        if missing:
            raise InputKeyError(f'{cfg.filename}: data needs '
                                f'{sorted(missing)}')
        self._records: Dict[str, StageRecord] = {}
        self._num_classes = None

    @property
    def num_classes(self) -> int:
        """Foreground classes of the data root (read once)."""
        if self._num_classes is None:
            self._num_classes = num_foreground_classes(
                self.data_root, self.splits['cam_split'])
        return self._num_classes

    @property
    def data(self) -> str:
        """The data root as fingerprints record it."""
        return data_identity(self.data_root)

    def setting(self, key: str, default=None):
        """A top-level setting of the pipeline config."""
        return self.cfg.get(key, default)

    def split(self, role: str) -> str:
        """The split of ``role`` (``'cam'``, ``'seed'``, ``'val'``), or
        ``role`` itself when it names a split."""
        return self.splits[SPLIT_ROLES[role]] if role in SPLIT_ROLES \
            else role

    def path(self, *parts: str) -> str:
        """A path under the work dir."""
        return osp.join(self.work_dir, *parts)

    def record(self, folder: str) -> StageRecord:
        """The record of the stages of ``folder`` (relative to the work
        dir; ``''`` is the work dir itself)."""
        if folder not in self._records:
            self._records[folder] = StageRecord(
                self.path(folder), root=self.work_dir)
        return self._records[folder]

    def stage_seconds(self) -> Dict[str, float]:
        """Seconds of every stage this run ran or skipped, by stage key."""
        seconds = {}
        for folder, record in self._records.items():
            for name, value in record.seconds().items():
                seconds[f'{folder}/{name}' if folder else name] = value
        return seconds


class BaseStage:
    """A pipeline stage: one step that reads the outputs of other stages
    and writes its own, recorded in its folder's ``stages.json``.

    A stage is configured by a dict in the pipeline config's ``stages``,
    under the key ``<folder>/<name>`` (``<name>`` for the work dir itself);
    the names in :attr:`inputs` are arguments that hold the keys of other
    stages. Subclasses set :attr:`inputs` and implement :meth:`settings`
    (what the result depends on besides the inputs' fingerprints) and
    :meth:`run`.

    Attributes:
        inputs (tuple[str]): Arguments that name other stages.
        recorded (bool): Whether the stage is recorded and skipped on a
            rerun; a cheap stage that only gathers others' outputs is not.
    """
    inputs: Tuple[str, ...] = ()
    recorded: bool = True

    def __init__(self, **references):
        unknown = set(references) - set(self.inputs)
        if unknown:
            raise InputKeyError(
                f'{type(self).__name__} has no inputs {sorted(unknown)}; '
                f'its inputs: {list(self.inputs)}')
        self.references = {
            name: references.get(name)
            for name in self.inputs
        }
        # Set by the runner: the stage's key, the stages it reads and,
        # once it runs, their outputs.
        self.key = ''
        self.upstream: Dict[str, 'BaseStage'] = {}
        self.up: Dict[str, Optional[dict]] = {}

    @property
    def folder(self) -> str:
        """The stage's folder relative to the work dir."""
        return osp.dirname(self.key)

    @property
    def name(self) -> str:
        """The stage's name in its folder's record."""
        return osp.basename(self.key)

    def out_path(self, ctx: PipelineContext, *parts: str) -> str:
        """A path in the stage's folder."""
        return ctx.path(self.folder, *parts)

    def prune(self, ctx: PipelineContext) -> None:
        """Drop the references that this run's settings leave unread
        (AffinityNet's alpha sweep under ``bg_rule='config'``), before the
        runner follows them."""

    def check(self, ctx: PipelineContext) -> None:
        """Raise a clear error about the stage's settings before any stage
        runs (a missing config, an unknown setting)."""

    def settings(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        """What the stage's result depends on besides its inputs'
        fingerprints: resolved settings, config contents, the data root
        and split."""
        return {}

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        """Compute the stage; return its outputs (paths, figures)."""
        raise NotImplementedError

    def folders(self, ctx: PipelineContext) -> List[str]:
        """Folders the stage writes, emptied before a rerun under other
        settings."""
        return []

    def summarize(self, outputs: dict) -> str:
        """The stage's result on its console line."""
        return ''

    def result(self, outputs: dict) -> dict:
        """What the stages reading this one get, from its recorded
        outputs."""
        return outputs


def check_choice(owner: str, key: str, value, choices) -> None:
    """Raise naming ``owner.key`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise InputValueError(
            f'{owner}: {key} must be one of {list(choices)}, got {value!r}')


class EvaluationStage(BaseStage):
    """A stage whose result is a JSON evaluation kept inside the folder it
    describes; the stages reading it get the evaluation itself.

    Subclasses implement :meth:`result_file`, :meth:`evaluate` and
    :meth:`table`, and set :attr:`template`, the console line filled from
    the result.
    """
    template = ''

    def result_file(self, ctx: PipelineContext, up: Dict[str, dict]) -> str:
        """Where the result is kept."""
        raise NotImplementedError

    def evaluate(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        """Compute the evaluation."""
        raise NotImplementedError

    def table(self, result: dict) -> str:
        """The result as the stage's log shows it."""
        return ''

    def run(self, ctx: PipelineContext, up: Dict[str, dict]) -> dict:
        out = self.result_file(ctx, up)
        result = self.evaluate(ctx, up)
        save_evaluation(result, out)
        print_log(self.table(result), logger='current')
        return dict(result_json=out)

    def summarize(self, outputs: dict) -> str:
        return summarize_json(outputs['result_json'], self.template)

    def result(self, outputs: dict) -> dict:
        with open(outputs['result_json']) as f:
            return dict(json.load(f), fingerprint=outputs['fingerprint'])
