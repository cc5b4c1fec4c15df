"""Turn IRN-format CAM files into palette-PNG pseudo labels (background
score, optional dense CRF, optional IRN confident regions), resumably and in
parallel; report their quality where ground truth exists."""
import argparse
import os.path as osp

from mmwsss.apis import load_config
from mmwsss.cams.generate import build_split_dataset
from mmwsss.evaluation import evaluate_pseudo_labels, format_pseudo_label_table
from mmwsss.pseudo_labels import CRF_DEFAULTS, generate_pseudo_labels
from mmwsss.utils import save_json


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--cam-dir', required=True)
    parser.add_argument(
        '--config',
        help='take the split from this config\'s test dataset (COCO); '
        'default: VOC layout under --data-root')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', default='train')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--bg-mode', choices=['constant', 'power'], default='constant')
    parser.add_argument('--bg-threshold', type=float, default=0.15)
    parser.add_argument(
        '--alpha', type=float, default=16.0, help='power background score')
    parser.add_argument(
        '--confident-region',
        action='store_true',
        help='IRN-style labels: 255 between --low-threshold and '
        '--fg-threshold')
    parser.add_argument(
        '--affinity-labels',
        action='store_true',
        help='AffinityNet (PSA) training labels: CRF of the power '
        'background at --low-alpha (foreground) and --high-alpha '
        '(background), 255 between')
    parser.add_argument('--low-alpha', type=float, default=4.0)
    parser.add_argument('--high-alpha', type=float, default=32.0)
    parser.add_argument('--fg-threshold', type=float, default=0.30)
    parser.add_argument('--low-threshold', type=float, default=0.05)
    parser.add_argument('--crf', action='store_true', help='dense CRF')
    parser.add_argument('--crf-iterations', type=int,
                        default=CRF_DEFAULTS['iterations'])
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--eval-split',
        help='split to evaluate against its masks (default: --split when '
        'its masks exist)')
    parser.add_argument('--out', help='evaluation JSON (default: beside '
                        'the output directory)')
    return parser.parse_args()


def main():
    args = parse_args()
    crf = dict(CRF_DEFAULTS, iterations=args.crf_iterations) \
        if args.crf else None
    if args.affinity_labels:
        # Always CRF-refined, with PSA's own settings.
        crf = None
    images = class_names = gt_dir = None
    if args.config:
        dataset = build_split_dataset(
            load_config(args.config), args.split, args.data_root)
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        images = {info['img_id']: info['img_path'] for info in infos}
        class_names = dataset.metainfo['classes']
        gt_dir = osp.abspath(dataset.data_prefix['seg_map_path'])
    written = generate_pseudo_labels(
        args.cam_dir,
        args.data_root,
        args.split,
        args.out_dir,
        mode='psa_affinity' if args.affinity_labels else
        'confident' if args.confident_region else 'argmax',
        bg_mode=args.bg_mode,
        bg_threshold=args.bg_threshold,
        alpha=args.alpha,
        fg_threshold=args.fg_threshold,
        low_threshold=args.low_threshold,
        crf=crf,
        low_alpha=args.low_alpha,
        high_alpha=args.high_alpha,
        num_classes=None if class_names is None else len(class_names) - 1,
        num_workers=args.num_workers,
        images=images)
    print(f'{written} pseudo labels written to {args.out_dir}')
    split = args.eval_split or args.split
    if images is not None:
        if not osp.isdir(gt_dir):
            return
        result = evaluate_pseudo_labels(
            args.out_dir, args.data_root, split, seg_map_dir=gt_dir,
            class_names=class_names, ids=list(images))
    elif osp.isdir(osp.join(args.data_root, 'SegmentationClass')):
        result = evaluate_pseudo_labels(args.out_dir, args.data_root, split)
    else:
        return
    out = args.out or osp.join(
        osp.dirname(osp.abspath(args.out_dir)), f'pseudo_eval_{split}.json')
    save_json(result, out)
    print(format_pseudo_label_table(result))
    print(f'written to {out}')


if __name__ == '__main__':
    main()
