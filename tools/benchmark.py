"""Measure CAM generation throughput (make_cams against a naive per-image,
per-scale, per-flip loop and against bare backbone forwards, with the
largest difference of their CAMs) and training seconds per iteration of
each seed method relative to CAM, with peak memory, in one run.

With ``--random-walk``, measure instead IRN's random walk per image: the
official dense transition matrix against the stencil walk, on the same
deterministic boundary map and CAMs, with peak memory and label identity.
"""
import argparse

from mmengine.config import DictAction

from mmwsss.apis import METHODS
from mmwsss.apis.benchmark import (benchmark_cams, benchmark_random_walk,
                                   benchmark_training, format_benchmark,
                                   format_random_walk_benchmark)
from mmwsss.cams.generate import DEFAULT_SCALES
from mmwsss.datasets import foreground_class_names
from mmwsss.utils import run_tool, save_json


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--config',
        default='demo/cam_r18_demo.py',
        help='CAM classifier config (path or under configs/)')
    parser.add_argument(
        '--checkpoint', help='its weights (default: random initialisation)')
    parser.add_argument('--data-root', default='data/demo')
    parser.add_argument('--split', default='val')
    parser.add_argument(
        '--num-images', type=int, help='first N images of the split')
    parser.add_argument(
        '--scales', type=float, nargs='+', default=list(DEFAULT_SCALES))
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument(
        '--preset',
        choices=['demo', 'voc', 'coco'],
        default='demo',
        help='which configs of the seed methods to train')
    parser.add_argument(
        '--methods',
        nargs='+',
        choices=[
            m for m, s in METHODS.items()
            if 'cam_method' not in s and s.get('driver') != 'sec'
        ],
        help='seed methods to time (default: all but Grad-CAM, which trains '
        'nothing, and SEC, which trains on a CAM run\'s cues: '
        'compare_methods times it); none with --skip-training')
    parser.add_argument('--train-iters', type=int, default=10)
    parser.add_argument(
        '--train-split', help="training split (default: the configs')")
    parser.add_argument('--skip-training', action='store_true')
    parser.add_argument('--device', help='default: cuda when available')
    parser.add_argument('--out', help='also write the figures to this JSON')
    walk = parser.add_argument_group(
        'random walk', 'with --random-walk, only the random walk is timed')
    walk.add_argument(
        '--random-walk',
        action='store_true',
        help="time IRN's random walk, dense against the stencil")
    walk.add_argument(
        '--image-sizes',
        type=_size,
        nargs='+',
        default=[(375, 500), (640, 640)],
        help='HxW of the images (default: 375x500 640x640)')
    walk.add_argument(
        '--check-size',
        type=_size,
        default=(120, 160),
        help='HxW where the dense walk always runs in full, to compare '
        'labels')
    walk.add_argument(
        '--dense-squarings',
        type=int,
        help='time only K of the exp_times squarings of the dense walk at '
        '--image-sizes and extrapolate (default: all)')
    walk.add_argument('--num-classes', type=int, default=3)
    walk.add_argument('--repeats', type=int, default=3)
    walk.add_argument(
        '--dense-threads', type=int, help="default: torch's")
    walk.add_argument(
        '--walk-threads', type=int, help="default: torch's")
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the CAM config, key=value')
    return parser.parse_args()


def _size(text):
    height, width = text.lower().split('x')
    return int(height), int(width)


def main():
    args = parse_args()
    if args.random_walk:
        result = benchmark_random_walk(
            args.image_sizes,
            args.check_size,
            args.num_classes,
            args.dense_squarings,
            args.repeats,
            dense_threads=args.dense_threads,
            walk_threads=args.walk_threads,
            device=args.device)
        print(format_random_walk_benchmark(result))
        if args.out:
            save_json(result, args.out)
            print(f'written to {args.out}')
        return
    result = dict(
        cams=benchmark_cams(
            args.config,
            args.checkpoint,
            args.data_root,
            args.split,
            args.num_images,
            scales=args.scales,
            batch_size=args.batch_size,
            num_workers=args.num_workers,
            device=args.device,
            cfg_options=args.cfg_options))
    print(format_benchmark(result))
    if not args.skip_training:
        result['training'] = benchmark_training(
            args.methods,
            args.preset,
            args.data_root,
            iters=args.train_iters,
            num_classes=len(foreground_class_names(args.data_root)),
            train_split=args.train_split,
            device=args.device)
        print(format_benchmark(dict(training=result['training'])))
    if args.out:
        save_json(result, args.out)
        print(f'written to {args.out}')


if __name__ == '__main__':
    run_tool(main)
