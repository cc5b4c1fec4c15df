"""Run a WSSS pipeline config (configs/pipelines/<method>_<preset>.py, or
CONFIG) on a dataset in VOC layout (presets demo and voc) or COCO layout
(preset coco: train2014/, val2014/, annotations/ and the masks of
tools/convert_coco.py): stage-1 training, CAMs, seed evaluation, pseudo
labels (dense CRF, or IRN / AffinityNet and their random walk), their
evaluation, segmentation on them and its evaluation on the val masks.

Every stage records a fingerprint of what it depends on (its settings,
config contents and overrides, the data root and split, the stages it
reads). A rerun skips a stage only under the same fingerprint; a changed
stage reruns with everything downstream of it (or, with --on-change stop,
the run stops naming the changed settings). An interrupted stage resumes:
training from its last checkpoint, file writers from the files written."""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmwsss.pipeline import (BG_RULES, PRESETS, REFINE_CHOICES,
                             add_on_change_argument, format_summary,
                             interrupted_stages, method_names, run_pipeline,
                             set_on_change, set_verbose)
from mmwsss.utils import run_tool


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'config',
        nargs='?',
        help='pipeline config (default: configs/pipelines/'
        '<method>_<preset>.py)')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument(
        '--method',
        default='recam',
        help='seed method, when no CONFIG is given: one of '
        f'{", ".join(method_names("demo"))} (default: %(default)s)')
    parser.add_argument(
        '--preset',
        choices=list(PRESETS),
        default='demo',
        help='data preset, when no CONFIG is given (default: %(default)s)')
    parser.add_argument(
        '--refine',
        choices=list(REFINE_CHOICES),
        help='how seeds become pseudo labels: dense CRF, IRN\'s random walk '
        'or AffinityNet\'s (psa); irn+crf / psa+crf: then a dense CRF '
        '(on the walk\'s scores / labels) '
        '(default: the config\'s, as the method\'s paper; CAM and ReCAM '
        'IRN, CSE psa, SEC its own labels, the others CRF; CRF where the '
        'preset has no config of that random walk, as coco)')
    parser.add_argument(
        '--bg-rule',
        choices=list(BG_RULES),
        help='background threshold of the CRF labels and of IRN\'s walk, '
        'by one rule: each swept on the seed split over its own scores, or '
        'both from the configs (default: the config\'s, swept)')
    parser.add_argument(
        '--full-supervision',
        action='store_true',
        help='also train the segmentor on the true masks and report the '
        'ratio')
    parser.add_argument('--seg-config', help='segmentation config')
    parser.add_argument(
        '--bg-threshold',
        type=float,
        help='pseudo-label background score (default: best seed threshold)')
    parser.add_argument(
        '--confident-region',
        action='store_true',
        help='IRN-style labels with 255 between the fg/bg thresholds')
    parser.add_argument(
        '--saliency-dir',
        help='saliency maps <id>.png (grey, 0-255) of a saliency network for '
        'the CRF pseudo labels\' background score (Oh et al., CVPR 2017); '
        'none is bundled')
    parser.add_argument(
        '--no-crf', action='store_true', help='pseudo labels without CRF')
    parser.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='processes writing pseudo labels (default: 2)')
    parser.add_argument(
        '--device', help='CAM inference device (default: cuda if present)')
    add_on_change_argument(parser)
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='stream every stage\'s full logs (default: one line per stage, '
        'full logs in <work-dir>/**/logs/<stage>.log)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the stage-1 configs, key=value')
    parser.add_argument(
        '--refine-cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the IRN / AffinityNet config, key=value')
    parser.add_argument(
        '--seg-cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the segmentation config, key=value')
    parser.add_argument(
        '--pipeline-options',
        nargs='+',
        action=DictAction,
        help='overrides for the pipeline config itself, key=value (e.g. '
        'stages.crf_labels.split=seed)')
    return parser.parse_args()


def main():
    args = parse_args()
    set_verbose(args.verbose)
    set_on_change(args.on_change)
    pseudo_label_cfg = {}
    if args.bg_threshold is not None:
        pseudo_label_cfg['bg_threshold'] = args.bg_threshold
    if args.confident_region:
        pseudo_label_cfg['mode'] = 'confident'
    if args.saliency_dir is not None:
        pseudo_label_cfg['saliency_dir'] = osp.abspath(args.saliency_dir)
    if args.no_crf:
        pseudo_label_cfg['crf'] = None
    summary = run_pipeline(
        args.data_root,
        args.work_dir,
        config=args.config,
        method=args.method,
        preset=args.preset,
        refine=args.refine,
        full_supervision=args.full_supervision,
        pseudo_label_cfg=pseudo_label_cfg,
        seg_config=args.seg_config,
        cfg_options=args.cfg_options,
        seg_cfg_options=args.seg_cfg_options,
        refine_cfg_options=args.refine_cfg_options,
        num_workers=args.num_workers,
        device=args.device,
        bg_rule=args.bg_rule,
        options=args.pipeline_options)
    print(format_summary(summary))
    print(f'summary written to {osp.join(args.work_dir, "summary.json")}')


if __name__ == '__main__':
    run_tool(main, on_interrupt=interrupted_stages)
