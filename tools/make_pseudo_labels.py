"""Turn IRN-format CAM files into palette-PNG pseudo labels (background
score, optional saliency maps, optional dense CRF, optional IRN confident
regions), resumably and in parallel; report their quality where ground
truth exists.

Settings not given here come from the CAM directory's threshold sweep
(seed_eval_<split>.json of tools/eval_cams.py, for the background
threshold), then from --config, the config of the method that made the
CAMs (pseudo_label_cfg, model.test_cfg.bg_threshold, ir_label_cfg,
affinity_label_cfg), then from the defaults; the output says which."""
import argparse
import os.path as osp
from typing import List, Optional

from mmengine.config import DictAction

from mmwsss.apis import load_config
from mmwsss.datasets import dataset_type_of, split_files
from mmwsss.evaluation import evaluate_pseudo_labels, format_pseudo_label_table
from mmwsss.pseudo_labels import (CRF_DEFAULTS, PSEUDO_LABEL_DEFAULTS,
                                  SALIENCY_DEFAULTS, format_sources,
                                  generate_pseudo_labels,
                                  resolve_pseudo_label_settings)
from mmwsss.utils import (InputValueError, add_overwrite_argument, run_tool,
                          save_evaluation)

D = PSEUDO_LABEL_DEFAULTS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cam-dir', required=True, help='CAM directory')
    parser.add_argument(
        '--config',
        help='config of the method that made the CAMs: its settings are '
        'the defaults below, and its test dataset gives the split\'s '
        'images and masks (default: none; the layout of --data-root)')
    parser.add_argument(
        '--data-root',
        required=True,
        help='dataset root in VOC or COCO layout (COCO: annotations/'
        'instances_<split>.json, masks of tools/convert_coco.py)')
    parser.add_argument(
        '--split',
        default='train',
        help='split to label (default: %(default)s)')
    parser.add_argument(
        '--out-dir', required=True, help='label directory (<id>.png)')
    parser.add_argument(
        '--bg-mode',
        choices=['constant', 'power'],
        help='background score: the constant threshold or PSA\'s (1 - max '
        'CAM) ** alpha (default: the config\'s pseudo_label_cfg.bg_mode, '
        f"else {D['bg_mode']})")
    parser.add_argument(
        '--bg-threshold',
        type=float,
        help='constant background score (with --saliency-dir: the floor '
        'every score must reach) (default: the best threshold of '
        'seed_eval_<split>.json in the CAM directory, else the config\'s '
        'pseudo_label_cfg.bg_threshold, else its '
        f"model.test_cfg.bg_threshold, else {D['bg_threshold']})")
    parser.add_argument(
        '--alpha',
        type=float,
        help='power of the power background score (default: the config\'s '
        f"pseudo_label_cfg.alpha, else {D['alpha']})")
    parser.add_argument(
        '--saliency-dir',
        help='saliency maps <id>.png (grey, 0-255, any size) of a saliency '
        'network: the background score becomes 1 - saliency (OAA\'s proxy '
        'labels; unsure pixels 255) (default: none)')
    parser.add_argument(
        '--saliency-cfg',
        nargs='+',
        action=DictAction,
        help='overrides of the saliency rule\'s unsure-pixel settings, '
        'key=value (None turns a rule off) (default: '
        + ', '.join(f'{k}={v:.3g}' for k, v in SALIENCY_DEFAULTS.items())
        + ')')
    parser.add_argument(
        '--confident-region',
        action='store_true',
        help='IRN-style labels: 255 between --low-threshold and '
        '--fg-threshold (default: off)')
    parser.add_argument(
        '--confident-crf',
        action='store_true',
        help="CLIP-ES's pseudo masks: CRF over the power background at "
        '--alpha (CLIP-ES: 1), 255 where its confidence is below '
        "--min-confidence (default: off; the config's pseudo_label_cfg "
        'holds both for CLIP-ES)')
    parser.add_argument(
        '--min-confidence',
        type=float,
        help='CRF confidence below which --confident-crf ignores a pixel '
        "(default: the config's pseudo_label_cfg.min_confidence, else "
        f"{D['min_confidence']})")
    parser.add_argument(
        '--affinity-labels',
        action='store_true',
        help='AffinityNet (PSA) training labels: CRF of the power '
        'background at --low-alpha (foreground) and --high-alpha '
        '(background), 255 between (default: off)')
    parser.add_argument(
        '--low-alpha',
        type=float,
        help='strong background power of --affinity-labels (default: the '
        f"config's affinity_label_cfg.low_alpha, else {D['low_alpha']})")
    parser.add_argument(
        '--high-alpha',
        type=float,
        help='weak background power of --affinity-labels (default: the '
        "config's affinity_label_cfg.high_alpha, else "
        f"{D['high_alpha']})")
    parser.add_argument(
        '--fg-threshold',
        type=float,
        help='confident foreground of --confident-region (default: the '
        "config's ir_label_cfg.fg_threshold, else "
        f"{D['fg_threshold']})")
    parser.add_argument(
        '--low-threshold',
        type=float,
        help='confident background of --confident-region (default: the '
        "config's ir_label_cfg.bg_threshold, else "
        f"{D['low_threshold']})")
    parser.add_argument(
        '--crf', action='store_true', help='dense CRF (default: off)')
    parser.add_argument(
        '--crf-iterations',
        type=int,
        default=CRF_DEFAULTS['iterations'],
        help='CRF mean-field iterations (default: %(default)s)')
    parser.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='worker processes (default: %(default)s)')
    parser.add_argument(
        '--eval-split',
        help='split to evaluate against its masks (default: --split, when '
        'its masks exist)')
    add_overwrite_argument(parser)
    parser.add_argument(
        '--out',
        help='evaluation JSON (default: pseudo_eval_<split>.json in the '
        'output directory)')
    return parser


def label_mode(args: argparse.Namespace) -> str:
    """``'argmax'``, ``'confident'``, ``'psa_affinity'`` or
    ``'confident_crf'``."""
    chosen = [flag for flag, on in (
        ('--confident-region', args.confident_region),
        ('--affinity-labels', args.affinity_labels),
        ('--confident-crf', args.confident_crf)) if on]
    if len(chosen) > 1:
        raise InputValueError(f'choose one of {" and ".join(chosen)}')
    return 'psa_affinity' if args.affinity_labels else \
        'confident' if args.confident_region else \
        'confident_crf' if args.confident_crf else 'argmax'


def main(argv: Optional[List[str]] = None) -> Optional[dict]:
    args = build_parser().parse_args(argv)
    mode = label_mode(args)
    eval_split = args.eval_split or args.split
    # The data root (and any config) are checked before the work starts;
    # the split's files come from the config's test dataset, else from the
    # data root's layout.
    cfg = None
    if args.config:
        cfg = load_config(args.config)
    else:
        dataset_type_of(args.data_root).check_layout(
            args.data_root, sorted({args.split, eval_split}))
    files = split_files(args.data_root, args.split, cfg)
    eval_files = files if eval_split == args.split else \
        split_files(args.data_root, eval_split, cfg)

    settings, sources = resolve_pseudo_label_settings(
        mode,
        overrides=dict(
            bg_mode=args.bg_mode,
            bg_threshold=args.bg_threshold,
            alpha=args.alpha,
            fg_threshold=args.fg_threshold,
            low_threshold=args.low_threshold,
            low_alpha=args.low_alpha,
            high_alpha=args.high_alpha,
            min_confidence=args.min_confidence),
        cam_dir=args.cam_dir,
        splits=(args.split, eval_split),
        cfg=cfg)
    # The power background's exponent means nothing to a constant one.
    shown = {k: v for k, v in settings.items()
             if not (k == 'alpha' and settings.get('bg_mode') == 'constant')}
    print(format_sources(shown, sources))
    crf = dict(CRF_DEFAULTS, iterations=args.crf_iterations) \
        if args.crf else None
    if args.affinity_labels or mode == 'confident_crf':
        # Always CRF-refined, with PSA's or CLIP-ES's own settings.
        crf = None
    written = generate_pseudo_labels(
        args.cam_dir,
        args.data_root,
        args.split,
        args.out_dir,
        mode=mode,
        crf=crf,
        num_classes=len(files.class_names) - 1,
        num_workers=args.num_workers,
        images=files.images,
        saliency_dir=args.saliency_dir,
        saliency_cfg=args.saliency_cfg,
        overwrite=args.overwrite,
        **settings)
    print(f'{written} pseudo labels written to {args.out_dir}')
    if not osp.isdir(eval_files.mask_dir):
        return None
    result = evaluate_pseudo_labels(
        args.out_dir,
        args.data_root,
        eval_split,
        seg_map_dir=eval_files.mask_dir,
        class_names=eval_files.class_names,
        ids=eval_files.ids)
    out = args.out or osp.join(args.out_dir, f'pseudo_eval_{eval_split}.json')
    save_evaluation(result, out)
    print(format_pseudo_label_table(result))
    print(f'written to {out}')
    return result


if __name__ == '__main__':
    run_tool(main)
