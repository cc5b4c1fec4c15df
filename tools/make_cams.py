"""Write IRN-format CAM files (<id>.npy) for a split with a trained CAM
classifier: multi-scale + flip inference, resumable, atomic writes.

With ``--launcher pytorch`` (see tools/dist_make_cams.sh) every rank writes
its own shard of the ids; a rerun, with any number of ranks, completes the
missing files."""
import argparse

from mmengine.config import DictAction

from mmwsss.apis import (finish_distributed, init_cam_distributed,
                         make_cams)
from mmwsss.cams.generate import DEFAULT_SCALES


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config the checkpoint was trained '
                        'with')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out-dir', required=True, help='CAM directory')
    parser.add_argument('--split', default='train', help='split to run on')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument(
        '--scales',
        type=float,
        nargs='+',
        default=list(DEFAULT_SCALES),
        help='inference scales')
    parser.add_argument(
        '--no-flip', action='store_true', help='skip flipped images')
    parser.add_argument(
        '--method',
        choices=['cam', 'gradcam', 'gradcam++'],
        default='cam',
        help="the head's CAMs, or gradient-weighted maps of any classifier")
    parser.add_argument(
        '--target-layer',
        help='Grad-CAM layer, e.g. backbone.layer3 (default: backbone '
        'output)')
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--device', help='default: cuda when available')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch'],
        default='none',
        help='job launcher (torchrun: pytorch)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    rank, world_size, device = init_cam_distributed(args.launcher)
    written = make_cams(
        args.config,
        args.checkpoint,
        args.out_dir,
        split=args.split,
        data_root=args.data_root,
        scales=args.scales,
        flip=not args.no_flip,
        method=args.method,
        target_layer=args.target_layer,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        device=args.device or device,
        cfg_options=args.cfg_options,
        rank=rank,
        world_size=world_size,
        progress=rank == 0)
    written = finish_distributed(written, world_size)
    if rank == 0:  # from init_cam_distributed: the group is gone by now
        print(f'{written} CAM files written to {args.out_dir}')


if __name__ == '__main__':
    main()
