"""Generate the demo dataset in PASCAL VOC 2012 layout."""
import argparse
import os.path as osp
import shutil

from mmwsss.datasets import DEMO_CLASSES, make_demo_dataset
from mmwsss.utils import run_tool


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('out_dir', nargs='?', default='data/demo')
    parser.add_argument('--num-train', type=int, default=320)
    parser.add_argument('--num-val', type=int, default=80)
    parser.add_argument('--image-size', type=int, default=128)
    parser.add_argument(
        '--num-classes', type=int, default=len(DEMO_CLASSES))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--force', action='store_true', help='regenerate if present')
    return parser.parse_args()


def main():
    args = parse_args()
    done = osp.join(args.out_dir, 'classes.txt')
    if osp.isfile(done) and not args.force:
        print(f'{args.out_dir} already exists; --force regenerates it')
        return
    if osp.isdir(args.out_dir):
        shutil.rmtree(args.out_dir)
    splits = make_demo_dataset(
        args.out_dir,
        num_train=args.num_train,
        num_val=args.num_val,
        image_size=args.image_size,
        num_classes=args.num_classes,
        seed=args.seed)
    print(f"wrote {len(splits['train'])} train and {len(splits['val'])} val "
          f'images to {args.out_dir}')


if __name__ == '__main__':
    run_tool(main)
