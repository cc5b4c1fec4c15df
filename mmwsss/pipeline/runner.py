"""The pipeline runner: builds a pipeline config's stages, orders them by
their inputs, checks every reference and requirement before any work
starts, then runs each stage under the record's rerun rule (see
:func:`~mmwsss.pipeline.record.run_stage`)."""
import os
import string
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config

from mmwsss.apis.data_roots import check_data_root
from mmwsss.utils import fingerprint
from mmwsss.utils.errors import InputKeyError, InputValueError
from .base import BaseStage, PipelineContext
from .configs import build_pipeline_config
from .record import run_stage
from .registry import STAGES


def format_variables(cfg: Config) -> Dict[str, str]:
    """The values a stage's string settings may name in braces: the
    config's top-level strings and numbers, and ``refine_key``, the
    refinement as stage names spell it (``irn+crf`` → ``irn_crf``)."""
    variables = {
        key: value
        for key, value in cfg.items()
        if isinstance(value, (str, int, float)) and not isinstance(value,
                                                                   bool)
    }
    # A top-level value may name another (``seed_classifier =
    # '{seed}/train'``).
    variables = {
        key: value.format_map(variables)
        if isinstance(value, str) and '{' in value else value
        for key, value in variables.items()
    }
    if isinstance(cfg.get('refine'), str):
        variables['refine_key'] = cfg.refine.replace('+', '_')
        variables['walk'] = cfg.refine.split('+')[0]
    return variables


def format_setting(value, variables: Dict[str, str], owner: str):
    """``value`` with ``{name}`` filled from ``variables`` where it is a
    string (or a list of strings)."""
    if isinstance(value, (list, tuple)):
        return [format_setting(v, variables, owner) for v in value]
    if not isinstance(value, str) or '{' not in value:
        return value
    names = [f for _, f, _, _ in string.Formatter().parse(value) if f]
    missing = [n for n in names if n not in variables]
    if missing:
        raise InputKeyError(f'{owner}: {value!r} names {missing}, which the '
                            'pipeline config does not set at its top level')
    return value.format_map(variables)


def input_fingerprints(up: Dict[str, object]) -> dict:
    """The fingerprints of a stage's inputs, by input name (a list for a
    list of stages; None for an input not given, so that giving it later
    reads as a change of that input)."""
    fingerprints = {}
    for name, outputs in up.items():
        if isinstance(outputs, list):
            fingerprints[name] = [o['fingerprint'] for o in outputs]
        else:
            fingerprints[name] = None if outputs is None else \
                outputs['fingerprint']
    return fingerprints


class PipelineRunner:
    """Runs a pipeline config's stages on a data root.

    The config has a ``stages`` dict (stage key → ``dict(type=..., ...)``
    of a class in :data:`~mmwsss.pipeline.registry.STAGES`), ``data``
    (``cam_split``, ``seed_split``, ``val_split`` and ``true_mask_dir``)
    and ``targets``, the stages to compute; the stages they read are
    computed first, and stages nothing reads are left alone. A stage's
    string settings may name top-level settings in braces (``'{seed}/cams'``,
    see :func:`format_variables`).

    Args:
        cfg (Config): The pipeline config.
        data_root (str): Dataset root in VOC or COCO layout.
        work_dir (str): Where the stages write.
        device (str, optional): Inference device.
        num_workers (int): Worker processes of the label writers.
        targets (Sequence[str], optional): Stage keys to compute instead of
            the config's ``targets``.
        label_folder (str, optional): Where the stages of the work dir
            itself (the labels, the segmentor) go instead, so that several
            methods' labels share one work dir and its seed stages.
    """

    def __init__(self,
                 cfg: Config,
                 data_root: str,
                 work_dir: str,
                 device: Optional[str] = None,
                 num_workers: int = 2,
                 targets: Optional[Sequence[str]] = None,
                 label_folder: Optional[str] = None):
        self.cfg = cfg
        self.label_folder = label_folder
        self.ctx = PipelineContext(cfg, data_root, work_dir, device,
                                   num_workers)
        self.variables = format_variables(cfg)
        self.specs = self._expand(cfg.get('stages', None) or {})
        targets = targets if targets is not None else cfg.get(
            'targets', ['summary'])
        self.targets = [
            self._relocate(format_setting(t, self.variables, 'targets'))
            for t in targets
        ]
        self.stages = self._plan()
        self.outputs: Dict[str, dict] = {}

    def _expand(self, stages: dict) -> Dict[str, Tuple[type, dict]]:
        """Stage classes and settings by key, composite stages replaced by
        the stages they stand for. A key the config sets beside a composite
        that makes it changes the made stage: with a ``type`` it replaces
        it, without one its settings update the made ones."""
        made, given, written = {}, {}, {}
        pending = [(key, spec, False) for key, spec in stages.items()]
        while pending:
            key, spec, generated = pending.pop(0)
            if spec is None:
                continue
            spec = dict(spec)
            # Set by mmengine on configs inherited through 'mmwsss::'.
            spec.pop('_scope_', None)
            config_key = key
            key = self._relocate(format_setting(key, self.variables,
                                                'stages'))
            if not generated:
                # 'cam/cams' beside '{seed}/cams' would silently drop one.
                if key in written:
                    raise InputKeyError(
                        f'stages[{written[key]!r}] and stages[{config_key!r}]'
                        f' both name stage {key!r}; keep one of them')
                written[key] = config_key
            cls = STAGES.get(spec['type']) if 'type' in spec else None
            if cls is not None and getattr(cls, 'expand', None) is not None:
                spec = self._format_spec(key, cls, spec)
                pending += [(k, v, True)
                            for k, v in cls.expand(key, spec,
                                                   self.ctx).items()]
            else:
                (made if generated else given)[key] = spec
        specs = {}
        for key in list(made) + [k for k in given if k not in made]:
            spec = dict(made.get(key, {}))
            override = given.get(key, {})
            spec = dict(override) if 'type' in override else dict(
                spec, **override)
            owner = f'stages[{key!r}]'
            if 'type' not in spec:
                raise InputKeyError(f'{owner}: no type')
            cls = STAGES.get(spec['type'])
            if cls is None:
                raise InputKeyError(
                    f'{owner}: unknown stage type; registered: '
                    f'{sorted(STAGES.module_dict)}')
            specs[key] = (cls, self._format_spec(key, cls, spec))
        return specs

    def _format_spec(self, key: str, cls: type, spec: dict) -> dict:
        """A stage's settings without its type, braces filled, its
        references relocated."""
        owner = f'stages[{key!r}]'
        spec = {
            k: format_setting(v, self.variables, f'{owner}.{k}')
            for k, v in spec.items() if k != 'type'
        }
        for name in cls.inputs:
            value = spec.get(name)
            spec[name] = [self._relocate(v) for v in value] if \
                isinstance(value, list) else self._relocate(value)
        return spec

    def _relocate(self, key: Optional[str]) -> Optional[str]:
        """``key`` in :attr:`label_folder` when it is a stage of the work
        dir itself."""
        if key is None or self.label_folder is None or '/' in key:
            return key
        return f'{self.label_folder}/{key}'

    def _build(self, key: str) -> BaseStage:
        cls, spec = self.specs[key]
        try:
            stage = cls(**spec)
        except TypeError as error:
            raise InputKeyError(f'stages[{key!r}] ({cls.__name__}): '
                                f'{error}') from None
        stage.key = key
        stage.prune(self.ctx)
        return stage

    def _plan(self) -> List[BaseStage]:
        """The stages the targets need, each after the stages it reads."""
        order, built, visiting = [], {}, set()

        def visit(key, needed_by):
            if key in built:
                return built[key]
            if key not in self.specs:
                raise InputKeyError(
                    f'{needed_by} names stage {key!r}, which the pipeline '
                    f'config does not define; its stages: '
                    f'{sorted(self.specs)}')
            if key in visiting:
                raise InputValueError(f'stage {key!r} reads itself through '
                                      f'{needed_by}')
            visiting.add(key)
            stage = self._build(key)
            for name, ref in stage.references.items():
                owner = f'stages[{key!r}].{name}'
                if isinstance(ref, (list, tuple)):
                    stage.upstream[name] = [visit(r, owner) for r in ref]
                elif ref is not None:
                    stage.upstream[name] = visit(ref, owner)
            visiting.discard(key)
            built[key] = stage
            order.append(stage)
            return stage

        for target in self.targets:
            visit(target, 'targets')
        return order

    def check(self) -> None:
        """Check the data root's splits and every stage's settings."""
        splits = sorted({self.ctx.split(r) for r in ('cam', 'seed', 'val')})
        check_data_root(self.ctx.data_root, splits)
        for stage in self.stages:
            stage.check(self.ctx)

    def run(self) -> Dict[str, dict]:
        """Check, then run every planned stage (each skipped when it
        finished under the same fingerprint).

        Returns:
            dict: The outputs of every planned stage, by key.
        """
        self.check()
        os.makedirs(self.ctx.work_dir, exist_ok=True)
        for stage in self.stages:
            self.outputs[stage.key] = self._execute(stage)
        return self.outputs

    def _execute(self, stage: BaseStage) -> dict:
        up = {}
        for name in stage.inputs:
            ref = stage.upstream.get(name)
            up[name] = [self.outputs[r.key] for r in ref] if isinstance(
                ref, list) else None if ref is None else self.outputs[ref.key]
        stage.up = up
        if not stage.recorded:
            result = stage.run(self.ctx, up)
            if isinstance(result, dict) and 'fingerprint' not in result:
                # What it gathers identifies it.
                result['fingerprint'] = fingerprint(input_fingerprints(up))
            return result
        inputs = dict(stage.settings(self.ctx, up))
        for name, value in input_fingerprints(up).items():
            if name in inputs:
                raise KeyError(f'{type(stage).__name__}: setting {name!r} '
                               'shadows an input')
            inputs[name] = value
        outputs = run_stage(
            self.ctx.record(stage.folder),
            stage.name,
            lambda: stage.run(self.ctx, up),
            stage.summarize,
            inputs=inputs,
            folders=stage.folders(self.ctx))
        return stage.result(outputs)


def run_pipeline(data_root: str,
                 work_dir: str,
                 method: str = 'recam',
                 preset: str = 'demo',
                 config: Optional[str] = None,
                 num_workers: int = 2,
                 device: Optional[str] = None,
                 targets: Optional[Sequence[str]] = None,
                 label_folder: Optional[str] = None,
                 **overrides) -> dict:
    """Run a pipeline config (``config``, or ``method``'s under ``preset``,
    see :func:`~mmwsss.pipeline.configs.build_pipeline_config` for the
    ``overrides``) on ``data_root`` in ``work_dir``; ``targets`` and
    ``label_folder`` as :class:`PipelineRunner`'s.

    Every stage records a fingerprint of what it depends on; a rerun skips
    the stages whose fingerprint is unchanged and reruns the others and
    everything downstream of them.

    Returns:
        dict: The outputs of the first target (the summary, also written
        to ``<work_dir>/summary.json`` with paths relative to it).
    """
    cfg = build_pipeline_config(config, method, preset, **overrides)
    runner = PipelineRunner(cfg, data_root, work_dir, device, num_workers,
                            targets, label_folder)
    target = runner.targets[0]
    result = runner.run()[target]
    stage = next(s for s in runner.stages if s.key == target)
    if isinstance(result, dict) and not stage.recorded:
        # A summary as written, without the fingerprint the runner gave it.
        result = {k: v for k, v in result.items() if k != 'fingerprint'}
    return result
