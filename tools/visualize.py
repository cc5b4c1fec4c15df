"""Render PNG grids: per-class CAM heat maps, labels (pseudo labels or any
label PNGs) beside the truth, and a segmentor's predictions beside the
truth. For every test image drawn by mmseg's hook, use
``tools/test.py CONFIG CHECKPOINT --show-dir DIR``.

    python tools/visualize.py cams --data-root D --cam-dir C --out cams.png
    python tools/visualize.py labels --data-root D --label-dir L --out l.png
    python tools/visualize.py predictions CONFIG CKPT --data-root D \\
        --split val --out pred.png
"""
import argparse

from mmwsss.apis import init_model
from mmwsss.datasets import build_split_dataset, dataset_type_of
from mmwsss.utils import run_tool
from mmwsss.visualization import (render_cam_grid, render_label_grid,
                                  render_prediction_grid)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest='what', required=True)
    cams = sub.add_parser('cams', help='CAM heat maps per class')
    cams.add_argument('--cam-dir', required=True)
    labels = sub.add_parser('labels', help='label PNGs beside the truth')
    labels.add_argument('--label-dir', required=True)
    labels.add_argument('--title', default='pseudo label')
    predictions = sub.add_parser(
        'predictions', help="a segmentor's predictions beside the truth")
    predictions.add_argument('config')
    predictions.add_argument('checkpoint')
    predictions.add_argument('--device', help='default: cuda when available')
    for command in (cams, labels, predictions):
        command.add_argument(
            '--data-root', required=True, help='in VOC or COCO layout')
        command.add_argument('--out', required=True, help='output PNG')
        command.add_argument(
            '--split', default='train', help='split the ids come from')
        command.add_argument('--ids', nargs='+', help='default: the first '
                             '--num ids of --split')
        command.add_argument('--num', type=int, default=6)
        command.add_argument(
            '--tile', type=int, default=192, help='tile side in pixels')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    ids = args.ids or dataset_type_of(args.data_root).split_ids(
        args.data_root, args.split)[:args.num]
    if args.what == 'cams':
        out = render_cam_grid(args.data_root, args.cam_dir, ids, args.out,
                              tile=args.tile, split=args.split)
    elif args.what == 'labels':
        out = render_label_grid(args.data_root, args.label_dir, ids,
                                args.out, title=args.title, tile=args.tile,
                                split=args.split)
    else:
        model, cfg = init_model(args.config, args.checkpoint, args.device,
                                data_root=args.data_root)
        dataset = build_split_dataset(cfg, args.split, args.data_root)
        out = render_prediction_grid(model, dataset, args.data_root, ids,
                                     args.out, tile=args.tile,
                                     split=args.split)
    print(f'written to {out}')


if __name__ == '__main__':
    run_tool(main)
