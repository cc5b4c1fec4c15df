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

from mmengine.config import DictAction

from mmwsss.apis import load_config
from mmwsss.datasets import build_split_dataset
from mmwsss.datasets.image_labels import check_voc_layout
from mmwsss.evaluation import evaluate_pseudo_labels, format_pseudo_label_table
from mmwsss.pseudo_labels import (CRF_DEFAULTS, PSEUDO_LABEL_DEFAULTS,
                                  SALIENCY_DEFAULTS, format_sources,
                                  generate_pseudo_labels,
                                  resolve_pseudo_label_settings)
from mmwsss.utils import save_json

D = PSEUDO_LABEL_DEFAULTS


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--cam-dir', required=True, help='CAM directory')
    parser.add_argument(
        '--config',
        help='config of the method that made the CAMs: its settings are '
        'the defaults below, and its test dataset gives the split\'s '
        'images (COCO needs this) (default: none; VOC layout under '
        '--data-root)')
    parser.add_argument(
        '--data-root', required=True, help='dataset root')
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
    parser.add_argument(
        '--out',
        help='evaluation JSON (default: pseudo_eval_<split>.json in the '
        'output directory)')
    return parser


def label_mode(args) -> str:
    if args.affinity_labels and args.confident_region:
        raise ValueError('choose one of --confident-region and '
                         '--affinity-labels')
    return 'psa_affinity' if args.affinity_labels else \
        'confident' if args.confident_region else 'argmax'


def main(argv=None):
    args = build_parser().parse_args(argv)
    mode = label_mode(args)
    eval_split = args.eval_split or args.split
    # The data root (and any config) are checked before the work starts.
    cfg = images = class_names = None
    gt_dir = osp.abspath(osp.join(args.data_root, 'SegmentationClass'))
    eval_ids = None
    if args.config:
        cfg = load_config(args.config)
        dataset = build_split_dataset(cfg, args.split, args.data_root)
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        images = {info['img_id']: info['img_path'] for info in infos}
        class_names = dataset.metainfo['classes']
        eval_set = dataset if eval_split == args.split else \
            build_split_dataset(cfg, eval_split, args.data_root)
        gt_dir = osp.abspath(eval_set.data_prefix['seg_map_path'])
        eval_ids = [
            eval_set.get_data_info(i)['img_id'] for i in range(len(eval_set))
        ]
    else:
        check_voc_layout(args.data_root, sorted({args.split, eval_split}),
                         annotations=False)

    settings, sources = resolve_pseudo_label_settings(
        mode,
        overrides=dict(
            bg_mode=args.bg_mode,
            bg_threshold=args.bg_threshold,
            alpha=args.alpha,
            fg_threshold=args.fg_threshold,
            low_threshold=args.low_threshold,
            low_alpha=args.low_alpha,
            high_alpha=args.high_alpha),
        cam_dir=args.cam_dir,
        splits=(args.split, eval_split),
        cfg=cfg)
    print(format_sources(settings, sources))
    crf = dict(CRF_DEFAULTS, iterations=args.crf_iterations) \
        if args.crf else None
    if args.affinity_labels:
        # Always CRF-refined, with PSA's own settings.
        crf = None
    written = generate_pseudo_labels(
        args.cam_dir,
        args.data_root,
        args.split,
        args.out_dir,
        mode=mode,
        crf=crf,
        num_classes=None if class_names is None else len(class_names) - 1,
        num_workers=args.num_workers,
        images=images,
        saliency_dir=args.saliency_dir,
        saliency_cfg=args.saliency_cfg,
        **settings)
    print(f'{written} pseudo labels written to {args.out_dir}')
    if not osp.isdir(gt_dir):
        return None
    result = evaluate_pseudo_labels(
        args.out_dir,
        args.data_root,
        eval_split,
        seg_map_dir=gt_dir,
        class_names=class_names,
        ids=eval_ids)
    out = args.out or osp.join(args.out_dir, f'pseudo_eval_{eval_split}.json')
    save_json(result, out)
    print(format_pseudo_label_table(result))
    print(f'written to {out}')
    return result


if __name__ == '__main__':
    main()
