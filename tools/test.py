"""Evaluate a checkpoint with the config's test evaluator (for a CAM
classifier: seed mIoU with mmseg's IoUMetric and mAP)."""
import argparse
import os

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmwsss.apis import load_config
from mmwsss.apis.data_roots import fit_class_count
from mmwsss.utils import (InputKeyError, check_checkpoint_fits, run_tool,
                          save_json)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--data-root',
        help='dataset root of every dataloader; in VOC layout the model\'s '
        'class counts follow its classes.txt (unless --cfg-options sets '
        'them)')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument('--out', help='also write the metrics to this JSON')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='directory to save drawn predictions into')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_visualization(cfg, args):
    """Turn on mmseg's SegVisualizationHook for --show / --show-dir."""
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise InputKeyError('the config has no default_hooks.visualization '
                            'to draw predictions with')
    hooks.visualization.draw = True
    hooks.visualization.interval = 1
    if args.show:
        hooks.visualization.show = True
        hooks.visualization.wait_time = args.wait_time
    if args.show_dir:
        cfg.visualizer.save_dir = args.show_dir


def main():
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options, args.work_dir,
                      data_root=args.data_root)
    if args.data_root is not None:
        for key, value in fit_class_count(cfg, args.data_root,
                                          args.cfg_options or {}).items():
            print_log(f'{key} = {value} (from {args.data_root})',
                      logger='current')
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    check_checkpoint_fits(runner.model, args.checkpoint)
    metrics = runner.test()
    if args.out:
        save_json({k: float(v) for k, v in metrics.items()}, args.out)


if __name__ == '__main__':
    run_tool(main)
