"""Seed mIoU of a CAM directory against the ground-truth masks, with a
constant background score swept over thresholds."""
import argparse
import os.path as osp

from mmwsss.evaluation import (DEFAULT_THRESHOLDS, evaluate_seeds,
                               format_seed_table)
from mmwsss.utils import save_json


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--cam-dir', required=True, help='CAM directory')
    parser.add_argument(
        '--data-root', required=True, help='dataset root in VOC layout')
    parser.add_argument('--split', default='train', help='split to evaluate')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs='+',
        default=list(DEFAULT_THRESHOLDS),
        help='background scores to try')
    parser.add_argument(
        '--seg-map-dir',
        default='SegmentationClass',
        help='ground-truth folder under the data root')
    parser.add_argument(
        '--out', help='JSON output (default: seed_eval_<split>.json beside '
        'the CAM directory)')
    return parser.parse_args()


def main():
    args = parse_args()
    result = evaluate_seeds(
        args.cam_dir,
        args.data_root,
        split=args.split,
        thresholds=args.thresholds,
        seg_map_dir=args.seg_map_dir)
    out = args.out or osp.join(
        osp.dirname(osp.abspath(args.cam_dir)),
        f'seed_eval_{args.split}.json')
    save_json(result, out)
    print(format_seed_table(result))
    print(f'written to {out}')


if __name__ == '__main__':
    main()
