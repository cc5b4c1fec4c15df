"""Side-by-side comparison of the seed methods on one dataset: each
method's pipeline config run on one work dir, so that the stages they
share (the CAM classifier under Grad-CAM, ReCAM and OC-CSE) are computed
once."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from prettytable import PrettyTable

from mmwsss.utils.errors import InputValueError
from .configs import build_pipeline_config, method_names
from .runner import PipelineRunner


def compare_methods(data_root: str,
                    work_dir: str,
                    methods: Optional[Sequence[str]] = None,
                    preset: str = 'demo',
                    cfg_options: Optional[Dict] = None,
                    refine: bool = False,
                    refine_cfg_options: Optional[Dict] = None,
                    device: Optional[str] = None) -> List[dict]:
    """Seeds of every method from the same seed, by their pipeline configs
    on one work dir. CAM runs first: Grad-CAM reads its classifier, ReCAM
    fine-tunes it and CSE freezes it.

    Args:
        methods (Sequence[str], optional): Methods to compare. Default:
            every method with a pipeline config for ``preset``.
        refine (bool): Also make each method's pseudo labels (in
            ``<work_dir>/<method>/labels``): CRF-only, its paper's
            random walk (IRN for CAM/ReCAM, AffinityNet for CSE), both by
            the swept background rule, and the CRF labels merged with the
            preset's mask proposals (superpixels on the demo, SAM on VOC).

    Returns:
        list[dict]: One row per method: seed mIoU at its best threshold,
        that threshold, classifier mAP, seconds per training iteration and
        its ratio to CAM's, what it starts from; with ``refine`` also
        ``crf_miou``, ``merged_miou`` (the CRF labels merged with mask
        proposals; ``None`` without a mask source) and ``refined_miou``
        (``None`` where the method has no random walk), ``refine``,
        ``bg_rule`` and ``boundary_ap``.
    """
    known = method_names(preset)
    methods = list(methods or known)
    unknown = set(methods) - set(known)
    if unknown:
        raise InputValueError(
            f'unknown methods {sorted(unknown)}; with a {preset!r} pipeline '
            f'config: {known}')
    summaries = {}
    for name in ['cam'] + [m for m in methods if m != 'cam']:
        cfg = build_pipeline_config(
            method=name, preset=preset, cfg_options=cfg_options,
            refine_cfg_options=refine_cfg_options)
        targets = ['{seed}/summary']
        if refine:
            # SEC's labels are its network's: no CRF labels of its own.
            targets += ([] if cfg.refine == 'sec' else ['crf_eval']) + [
                '{refine_key}_eval', '{refine_key}_refinement'
            ]
            merged = cfg.refine != 'sec' and bool(cfg.get('mask_source'))
            if merged:
                targets.append('crf_merge_eval')
        runner = PipelineRunner(
            cfg, data_root, work_dir, device, targets=targets,
            label_folder=osp.join(name, 'labels') if refine else None)
        results = runner.run()
        outputs = [results[t] for t in runner.targets]
        if refine and cfg.refine == 'sec':
            outputs.insert(1, None)
        if refine and len(outputs) == 4:
            outputs.append(None)
        summaries[name] = (cfg, outputs)
    cam = summaries['cam'][1][0]
    rows = []
    for name in methods:
        cfg, outputs = summaries[name]
        summary = outputs[0]
        seconds = summary['seconds_per_iter']
        rows.append(
            dict(
                method=name,
                seed_miou=summary['seed_miou'],
                seed_threshold=summary['seed_threshold'],
                classifier_map=cam['classifier_map']
                if summary['classifier_map'] is None else
                summary['classifier_map'],
                seconds_per_iter=seconds,
                relative_seconds_per_iter=None if seconds is None else
                seconds / cam['seconds_per_iter'],
                starts_from=cfg.get('starts_from', 'scratch'),
                background_miou=summary['background_miou']))
        if refine:
            _, crf, pseudo, refinement, merged = outputs
            walked = cfg.refine not in ('crf', 'sec')
            boundary = refinement and refinement['boundary']
            rows[-1].update(
                refine=cfg.refine,
                bg_rule=cfg.get('bg_rule'),
                crf_miou=crf['miou'] if crf else None,
                merged_miou=merged['miou'] if merged else None,
                refined_miou=pseudo['miou'] if walked else None,
                boundary_ap=boundary['boundary_ap'] if boundary else None)
    return rows


def _cell(value, fmt: str = '{:.2f}') -> str:
    return '-' if value is None else fmt.format(value)


def format_comparison(rows: Sequence[dict]) -> str:
    """The comparison as a table; '-' where a method has no such figure
    (SEC's seeds have no threshold, CSE no random-walk run of its own)."""
    refined = any('crf_miou' in row for row in rows)
    table = PrettyTable([
        'method', 'seed mIoU (%)', 'best threshold', 'classifier mAP (%)',
        's / iter', 'vs CAM', 'starts from'
    ] + ([
        'CRF mask mIoU (%)', 'CRF + merge mIoU (%)',
        'random-walk mask mIoU (%)',
        'boundary AP (%)'
    ] if refined else []))
    for row in rows:
        cells = [
            row['method'],
            _cell(row['seed_miou']),
            _cell(row['seed_threshold']),
            _cell(row['classifier_map']),
            _cell(row['seconds_per_iter'], '{:.3f}'),
            _cell(row['relative_seconds_per_iter'], '{:.2f}x'),
            row['starts_from'],
        ]
        if refined:
            cells += [
                _cell(row.get('crf_miou')),
                _cell(row.get('merged_miou')),
                '-' if row.get('refined_miou') is None else
                f"{row['refined_miou']:.2f} ({row['refine']})",
                _cell(row.get('boundary_ap')),
            ]
        table.add_row(cells)
    return table.get_string()
