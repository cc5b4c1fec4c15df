"""Convert MS-COCO 2014 instance annotations to semantic label PNGs
(palette, 0 = background, 1-80 in category-id order), one per image, under
<coco root>/SegmentationClass/<split>/<file stem>.png; resumable.

    python tools/convert_coco.py data/coco --splits train2014 val2014
"""
import argparse
import os.path as osp

from mmwsss.datasets import convert_coco_masks
from mmwsss.utils import run_tool


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('coco_root', help='folder holding annotations/')
    parser.add_argument(
        '--splits', nargs='+', default=['train2014', 'val2014'])
    parser.add_argument(
        '--crowd-ignore',
        action='store_true',
        help='mark crowd regions 255 (default: background, as ReCAM)')
    parser.add_argument('--num-workers', type=int, default=4)
    return parser.parse_args()


def main():
    args = parse_args()
    for split in args.splits:
        out_dir = osp.join(args.coco_root, 'SegmentationClass', split)
        written = convert_coco_masks(
            osp.join(args.coco_root, 'annotations',
                     f'instances_{split}.json'),
            out_dir,
            crowd_ignore=args.crowd_ignore,
            num_workers=args.num_workers)
        print(f'{split}: {written} masks written to {out_dir}')


if __name__ == '__main__':
    run_tool(main)
