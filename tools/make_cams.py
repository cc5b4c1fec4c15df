"""Write IRN-format CAM files (<id>.npy) for a split with a trained CAM
classifier: multi-scale + flip inference, resumable, atomic writes.

With ``--launcher pytorch`` (see tools/dist_make_cams.sh) every rank writes
its own shard of the ids; a rerun, with any number of ranks, completes the
missing files."""
import argparse

from mmengine.config import DictAction

from mmwsss.apis import finish_distributed, init_cam_distributed, make_cams
from mmwsss.cams.generate import DEFAULT_SCALES
from mmwsss.cams.gradcam import GRADCAM_NORMS
from mmwsss.utils import add_overwrite_argument, run_tool


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='config the checkpoint was trained '
                        'with')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help="checkpoint file; none for a training-free model (CLIP-ES), "
        "whose weights are its config's init_cfg")
    parser.add_argument(
        '--out-dir', required=True, help='CAM directory (created if needed)')
    parser.add_argument(
        '--split',
        default='train',
        help='split to run on (default: %(default)s)')
    parser.add_argument(
        '--data-root', help="override the data root (default: the config's)")
    parser.add_argument(
        '--scales',
        type=float,
        nargs='+',
        help=f'inference scales (default: the model\'s own, as CLIP-ES\'s '
        f'config states them, else {list(DEFAULT_SCALES)})')
    parser.add_argument(
        '--no-flip',
        action='store_true',
        help="skip flipped images (default: flipped images are added, "
        "unless the model's config says otherwise)")
    parser.add_argument(
        '--method',
        choices=['cam', 'gradcam', 'gradcam++'],
        default='cam',
        help="the head's CAMs, or gradient-weighted maps of any classifier "
        '(default: %(default)s)')
    parser.add_argument(
        '--target-layer',
        help='Grad-CAM layer, e.g. backbone.layer3 (default: the backbone '
        'output)')
    parser.add_argument(
        '--gradcam-norm',
        choices=GRADCAM_NORMS,
        help='Grad-CAM: how the maps of each scale and flip are normalised '
        'before they are summed: minmax per map as pytorch-grad-cam, max, '
        'or none (raw: each scale weighs 1/(h*w)) (default: the config\'s '
        'model.test_cfg.gradcam_norm, else minmax)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=4,
        help='images loaded per step (default: %(default)s)')
    parser.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='data loading workers (default: %(default)s)')
    parser.add_argument(
        '--device', help='device (default: cuda when available, else cpu)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch'],
        default='none',
        help='job launcher, torchrun: pytorch (default: %(default)s)')
    add_overwrite_argument(parser)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value (default: none)')
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    rank, world_size, device = init_cam_distributed(args.launcher)
    written = make_cams(
        args.config,
        args.checkpoint,
        args.out_dir,
        split=args.split,
        data_root=args.data_root,
        scales=args.scales,
        flip=False if args.no_flip else None,
        method=args.method,
        target_layer=args.target_layer,
        gradcam_norm=args.gradcam_norm,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        device=args.device or device,
        cfg_options=args.cfg_options,
        rank=rank,
        world_size=world_size,
        progress=rank == 0,
        overwrite=args.overwrite)
    written = finish_distributed(written, world_size)
    if rank == 0:  # from init_cam_distributed: the group is gone by now
        print(f'{written} CAM files written to {args.out_dir}')
    return written


if __name__ == '__main__':
    run_tool(main)
