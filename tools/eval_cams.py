"""Seed mIoU of a CAM directory against the ground-truth masks, with a
constant background score swept over thresholds. The result is written
into the CAM directory (seed_eval_<split>.json), where make_pseudo_labels
finds the best threshold."""
import argparse
import os.path as osp
from typing import List, Optional

from mmwsss.datasets import dataset_type_of
from mmwsss.evaluation import (DEFAULT_THRESHOLDS, evaluate_seeds,
                               format_seed_table)
from mmwsss.pseudo_labels import seed_eval_path
from mmwsss.utils import InputFileNotFoundError, run_tool, save_evaluation


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--cam-dir', required=True, help='CAM directory')
    parser.add_argument(
        '--data-root',
        required=True,
        help='dataset root in VOC or COCO layout (COCO: annotations/'
        'instances_<split>.json, masks of tools/convert_coco.py)')
    parser.add_argument(
        '--split',
        default='train',
        help='split to evaluate (default: %(default)s)')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=list(DEFAULT_THRESHOLDS),
        help='background scores to try (default: 0.05 to 0.95 in steps of '
        '0.05)')
    parser.add_argument(
        '--seg-map-dir',
        help='ground-truth folder under the data root (default: '
        'SegmentationClass; COCO: SegmentationClass/<split>)')
    parser.add_argument(
        '--out',
        help='JSON output (default: seed_eval_<split>.json in the CAM '
        'directory)')
    return parser


def check_data_root(data_root: str,
                    split: str,
                    seg_map_dir: Optional[str] = None) -> None:
    """Fail before any CAM is read if the data root lacks the split or its
    masks."""
    dataset_type = dataset_type_of(data_root)
    dataset_type.check_layout(data_root, [split])
    seg_map_dir = seg_map_dir or dataset_type.default_mask_dir(split)
    if not osp.isdir(dataset_type.true_mask_dir(data_root, split,
                                                seg_map_dir)):
        raise InputFileNotFoundError(
            f'{data_root} has no ground-truth folder {seg_map_dir}/ to '
            'evaluate seeds against (set --seg-map-dir)')


def main(argv: Optional[List[str]] = None) -> dict:
    args = build_parser().parse_args(argv)
    check_data_root(args.data_root, args.split, args.seg_map_dir)
    if not osp.isdir(args.cam_dir):
        raise InputFileNotFoundError(
            f'CAM directory not found: {args.cam_dir}')
    result = evaluate_seeds(
        args.cam_dir,
        args.data_root,
        split=args.split,
        thresholds=args.thresholds,
        seg_map_dir=args.seg_map_dir)
    out = args.out or seed_eval_path(args.cam_dir, args.split)
    save_evaluation(result, out)
    print(format_seed_table(result))
    print(f'written to {out}')
    return result


if __name__ == '__main__':
    run_tool(main)
