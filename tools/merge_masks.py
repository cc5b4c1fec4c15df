"""Merge pseudo labels (or CAM files) with class-agnostic mask proposals by
SAM_WSSS's rule: cache the proposals of a split (SAM's automatic masks or
superpixels, resumable), then write merged pseudo labels under the same
contract.

    python tools/merge_masks.py configs/mask_merge/slic_merge_demo.py \\
        --labels work_dirs/demo/crf_labels --data-root data/demo \\
        --split train --mask-dir work_dirs/demo/masks/slic \\
        --out-dir work_dirs/demo/crf_merged_labels
"""
import argparse
import os.path as osp

from mmwsss.apis import load_config
from mmwsss.datasets import split_files
from mmwsss.evaluation import (evaluate_pseudo_labels,
                               format_pseudo_label_table)
from mmwsss.pseudo_labels.mask_proposals import (build_mask_source,
                                                 generate_mask_proposals,
                                                 generate_merged_labels)
from mmwsss.utils import add_overwrite_argument, run_tool, save_evaluation


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config with mask_source and '
                        'merge_cfg (configs/mask_merge/)')
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument('--labels', help='pseudo labels to merge')
    source.add_argument(
        '--cams',
        help='CAM files to merge instead (labelled by the argmax over a '
        'constant background, --bg-threshold)')
    parser.add_argument(
        '--bg-threshold',
        type=float,
        default=0.15,
        help='background of --cams (default: %(default)s)')
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--split', default='train')
    parser.add_argument(
        '--mask-dir', required=True, help='the cache of mask proposals')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument(
        '--device', help='SAM: default cuda when available, else cpu')
    parser.add_argument('--num-workers', type=int, default=2)
    add_overwrite_argument(parser)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    cfg = load_config(args.config)
    files = split_files(args.data_root, args.split)
    source = dict(cfg.mask_source)
    if args.device and source.get('type') == 'SAMMasks':
        source['device'] = args.device
    # A missing or wrong checkpoint fails here, before any image is read.
    source = build_mask_source(source)
    written = generate_mask_proposals(args.data_root, args.split,
                                      args.mask_dir, source,
                                      overwrite=args.overwrite)
    print(f'{written} mask files written to {args.mask_dir}')
    written = generate_merged_labels(
        args.mask_dir,
        args.data_root,
        args.split,
        args.out_dir,
        labels_dir=args.labels,
        cam_dir=args.cams,
        cam_settings=dict(bg_threshold=args.bg_threshold)
        if args.cams else None,
        merge=cfg.get('merge_cfg', None),
        num_classes=len(files.class_names) - 1,
        num_workers=args.num_workers,
        overwrite=args.overwrite)
    print(f'{written} merged pseudo labels written to {args.out_dir}')
    if not osp.isdir(files.mask_dir):
        return None
    result = evaluate_pseudo_labels(args.out_dir, args.data_root, args.split)
    save_evaluation(result,
                    osp.join(args.out_dir, f'pseudo_eval_{args.split}.json'))
    print(format_pseudo_label_table(result))
    return result


if __name__ == '__main__':
    run_tool(main)
