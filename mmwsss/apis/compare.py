"""Side-by-side comparison of the seed methods on one dataset."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from prettytable import PrettyTable

from mmwsss.utils.errors import InputValueError

from .pipeline import (METHODS, REFINEMENTS, builds_on, method_config,
                       run_method_seeds, run_pseudo_labels)

STARTS_FROM = {
    None: 'scratch',
    'reuse': 'the CAM classifier',
    'load_from': 'fine-tunes CAM',
    'ordinary': 'scratch + frozen CAM',
}


def starts_from(method: str, summary: dict, preset: str = 'demo') -> str:
    """What a method's training starts from, for the comparison table."""
    spec = METHODS[method]
    if spec.get('driver') == 'adversarial_erasing':
        return f"scratch, {len(summary['rounds'])} rounds"
    if spec.get('driver') == 'sec':
        return 'CAM seeds as cues'
    if spec.get('reads_cam'):
        return STARTS_FROM['reuse']
    base = builds_on(method_config(method, preset))
    return STARTS_FROM[base['use'] if base else None]


def compare_methods(data_root: str,
                    work_dir: str,
                    methods: Optional[Sequence[str]] = None,
                    preset: str = 'demo',
                    cfg_options: Optional[Dict] = None,
                    refine: bool = False,
                    refine_cfg_options: Optional[Dict] = None) -> List[dict]:
    """Seeds of every method from the same seed. CAM runs first: Grad-CAM
    reads its classifier, ReCAM fine-tunes it and CSE freezes it.

    Args:
        methods (Sequence[str], optional): Methods to compare. Default:
            every method with a config for ``preset``.
        refine (bool): Also make each method's pseudo labels: CRF-only, and
            its paper's random walk (IRN for CAM/ReCAM, AffinityNet for
            CSE) where it has one and ``preset`` has its config.

    Returns:
        list[dict]: One row per method: seed mIoU at its best threshold,
        that threshold, classifier mAP, seconds per training iteration and
        its ratio to CAM's; with ``refine`` also ``crf_miou`` and
        ``refined_miou`` (``None`` where the method has no random walk),
        ``refine``, ``bg_rule`` (both labels' background by the swept
        rule, see :func:`run_pseudo_labels`) and ``boundary_ap`` (IRN's).
    """
    methods = list(methods or [m for m in METHODS if METHODS[m].get(preset)])
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise InputValueError(
            f'unknown methods {sorted(unknown)}; choose from '
            f'{sorted(METHODS)}')
    cam = run_method_seeds(data_root, work_dir, 'cam', preset, cfg_options)
    rows = []
    for name in methods:
        summary = cam if name == 'cam' else run_method_seeds(
            data_root, work_dir, name, preset, cfg_options)
        if summary['classifier_map'] is None:
            summary = dict(summary, classifier_map=cam['classifier_map'])
        seconds = summary['seconds_per_iter']
        rows.append(
            dict(
                method=name,
                seed_miou=summary['seed_miou'],
                seed_threshold=summary['seed_threshold'],
                classifier_map=summary['classifier_map'],
                seconds_per_iter=seconds,
                relative_seconds_per_iter=None if seconds is None else
                seconds / cam['seconds_per_iter'],
                starts_from=starts_from(name, summary, preset),
                background_miou=summary['background_miou']))
        if refine:
            labels = run_pseudo_labels(
                data_root, work_dir, name, preset,
                cfg_options=cfg_options,
                refine_cfg_options=refine_cfg_options,
                label_work_dir=osp.join(work_dir, name, 'labels'))
            crf, refinement = labels['crf'], labels['refinement']
            boundary = refinement and refinement['boundary']
            rows[-1].update(
                refine=labels['refine'],
                bg_rule=labels['bg_rule'],
                crf_miou=crf['miou'] if crf else None,
                refined_miou=labels['pseudo']['miou']
                if labels['refine'] in REFINEMENTS else None,
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
        'CRF mask mIoU (%)', 'random-walk mask mIoU (%)',
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
                '-' if row.get('refined_miou') is None else
                f"{row['refined_miou']:.2f} ({row['refine']})",
                _cell(row.get('boundary_ap')),
            ]
        table.add_row(cells)
    return table.get_string()
