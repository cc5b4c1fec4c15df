"""Train a model from a config, as mmseg's tools/train.py does, with mmwsss's
modules registered."""
import argparse
import logging
import os

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmwsss.apis import load_config, with_rng_state
from mmwsss.apis.data_roots import fit_class_count
from mmwsss.utils import check_checkpoint_fits, run_tool


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--data-root',
        help='dataset root of every dataloader; in VOC layout the model\'s '
        'class counts follow its classes.txt (unless --cfg-options sets '
        'them)')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest checkpoint in the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
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
    if args.amp:
        if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.',
                      logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
    cfg.resume = args.resume
    with_rng_state(cfg)
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    if cfg.get('load_from') and not cfg.resume:
        # Fine-tuning may add weights, but none may change shape.
        check_checkpoint_fits(runner.model, cfg.load_from, allow_missing=True)
    runner.train()


if __name__ == '__main__':
    run_tool(main)
