"""Refine CAM files into pseudo labels (<id>.png) by the random walk of a
trained IRN boundary network or AffinityNet; resumable, atomic, sharded
across torchrun ranks. The walk never builds the dense N x N transition
matrix. Settings come from the config's ``random_walk_cfg``; options given
here override them. Where the split has masks, the labels' mIoU, precision
and recall are reported (and, with --save-scores, IRN's background
threshold is swept over the saved scores)."""
import argparse
import os.path as osp

from mmengine.config import DictAction

from mmwsss.apis import (finish_distributed, init_cam_distributed, load_config,
                         make_sem_seg_labels, random_walk_settings)
from mmwsss.datasets import build_split_dataset
from mmwsss.evaluation import (evaluate_pseudo_labels, evaluate_seeds,
                               format_pseudo_label_table, format_seed_table)
from mmwsss.pseudo_labels import seed_eval_path
from mmwsss.utils import add_overwrite_argument, run_tool, save_evaluation


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('config', help='IRN or AffinityNet config')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--cam-dir', required=True, help='CAM files')
    parser.add_argument('--out-dir', required=True, help='label PNGs')
    parser.add_argument('--split', default='train', help='split to refine')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument(
        '--beta', type=float, help='affinity exponent (IRN 10, PSA 8)')
    parser.add_argument(
        '--exp-times',
        type=int,
        help='IRN: the walk takes 2**exp_times steps (8); PSA: logt (8)')
    parser.add_argument(
        '--steps-rule',
        choices=['fixed', 'relative'],
        help='fixed: 2**exp_times steps on every image (the papers); '
        'relative: steps scaled with the walk grid so that the walk '
        'reaches as far relative to the image as the official walk on '
        'VOC-sized images (random_walk_cfg.reference_size)')
    parser.add_argument(
        '--radius', type=int, help='pair radius in feature cells (5)')
    parser.add_argument(
        '--bg-threshold',
        type=float,
        help='IRN: constant background score (IRN 0.25, ReCAM 0.28)')
    parser.add_argument(
        '--alpha', type=float, help='PSA: power of the background (16)')
    parser.add_argument(
        '--save-scores',
        metavar='DIR',
        help='IRN: keep the propagated scores as CAM files in DIR and '
        'sweep the background threshold over them')
    parser.add_argument('--num-workers', type=int, default=2)
    parser.add_argument('--device', help='default: cuda when available')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch'], default='none',
        help='job launcher (torchrun: pytorch)')
    add_overwrite_argument(parser)
    parser.add_argument(
        '--out',
        help='evaluation JSON (default: pseudo_eval_<split>.json in the '
        'output folder)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value')
    return parser.parse_args()


def evaluate(args):
    """Report the labels' quality where the split has masks, kept inside
    the label folder (``pseudo_eval_<split>.json``); with --save-scores
    also the background sweep over the saved scores, kept in the label
    folder (``score_sweep_<split>.json``) and in the score folder
    (``seed_eval_<split>.json``, which make_pseudo_labels reads)."""
    cfg = load_config(args.config, args.cfg_options, data_root=args.data_root)
    dataset = build_split_dataset(cfg, args.split, args.data_root)
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    gt_dir = osp.abspath(dataset.data_prefix['seg_map_path'])
    if not osp.isdir(gt_dir):
        return
    class_names = dataset.metainfo['classes']
    ids = [info['img_id'] for info in infos]
    result = evaluate_pseudo_labels(
        args.out_dir, dataset.data_root, args.split, seg_map_dir=gt_dir,
        class_names=class_names, ids=ids)
    out = args.out or osp.join(args.out_dir, f'pseudo_eval_{args.split}.json')
    save_evaluation(result, out)
    print(format_pseudo_label_table(result))
    print(f'written to {out}')
    if args.save_scores:
        sweep = evaluate_seeds(
            args.save_scores, dataset.data_root, args.split,
            seg_map_dir=gt_dir, class_names=class_names)
        print(
            format_seed_table(
                sweep, title='Random-walk label mIoU (saved scores swept)'))
        for path in (osp.join(args.out_dir,
                              f'score_sweep_{args.split}.json'),
                     seed_eval_path(args.save_scores, args.split)):
            save_evaluation(sweep, path)
            print(f'written to {path}')


def main():
    args = parse_args()
    rank, world_size, device = init_cam_distributed(args.launcher)
    overrides = dict(
        beta=args.beta,
        radius=args.radius,
        bg_threshold=args.bg_threshold,
        alpha=args.alpha,
        exp_times=args.exp_times,
        steps_rule=args.steps_rule)
    refine, walk_cfg = random_walk_settings(
        load_config(args.config, args.cfg_options), overrides)
    if rank == 0:
        given = sorted(k for k, v in overrides.items() if v is not None)
        print(f'{refine} random walk: ' +
              ', '.join(f'{k}={v}' for k, v in sorted(walk_cfg.items())) +
              " (the config's random_walk_cfg, then the defaults"
              + (f'; {", ".join(given)} from the command line)'
                 if given else ')'))
    written = make_sem_seg_labels(
        args.config,
        args.checkpoint,
        args.cam_dir,
        args.out_dir,
        split=args.split,
        data_root=args.data_root,
        settings=overrides,
        score_dir=args.save_scores,
        num_workers=args.num_workers,
        device=args.device or device,
        cfg_options=args.cfg_options,
        rank=rank,
        world_size=world_size,
        progress=rank == 0,
        overwrite=args.overwrite)
    written = finish_distributed(written, world_size)
    if rank == 0:
        print(f'{written} random-walk labels written to {args.out_dir}')
        evaluate(args)


if __name__ == '__main__':
    run_tool(main)
