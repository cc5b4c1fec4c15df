"""Train every seed method on the demo data from the same seed and compare
their seeds: mIoU at each method's best threshold, classifier mAP, and
training seconds per iteration relative to CAM."""
import argparse
import os.path as osp

from mmwsss.pipeline import (add_on_change_argument, compare_methods,
                             format_comparison, interrupted_stages,
                             method_names, set_on_change, set_verbose)
from mmwsss.utils import run_tool, save_json


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--work-dir', default='work_dirs/compare')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=method_names('demo'),
        help='default: all')
    parser.add_argument(
        '--refine',
        action='store_true',
        help='also make and evaluate each method\'s pseudo labels: CRF '
        'only, and its paper\'s random walk (IRN / AffinityNet)')
    add_on_change_argument(parser)
    parser.add_argument(
        '--verbose',
        action='store_true',
        help='stream every stage\'s full logs (default: one line per stage, '
        'full logs in <work-dir>/**/logs/<stage>.log)')
    return parser.parse_args()


def main():
    args = parse_args()
    set_verbose(args.verbose)
    set_on_change(args.on_change)
    rows = compare_methods(
        args.data_root, args.work_dir, args.methods, refine=args.refine)
    table = format_comparison(rows)
    out = osp.join(args.work_dir, 'comparison.json')
    save_json(rows, out)
    print(table)
    print(f'written to {out}')


if __name__ == '__main__':
    run_tool(main, on_interrupt=interrupted_stages)
