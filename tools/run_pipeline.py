"""Run the WSSS pipeline on a dataset in VOC layout: train the stage-1
classifier, write CAMs, evaluate seeds. Finished stages are skipped."""
import argparse

from mmengine.config import DictAction

from mmwsss.apis import PRESETS, format_summary, run_seed_pipeline


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--data-root', required=True)
    parser.add_argument('--work-dir', required=True)
    parser.add_argument(
        '--preset', choices=sorted(PRESETS), default='demo')
    parser.add_argument('--config', help='stage-1 config (default: preset)')
    parser.add_argument('--seed-split', default='train')
    parser.add_argument('--device', help='CAM inference device')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides for the stage-1 config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    summary = run_seed_pipeline(
        args.data_root,
        args.work_dir,
        preset=args.preset,
        config=args.config,
        seed_split=args.seed_split,
        cfg_options=args.cfg_options,
        device=args.device)
    print(format_summary(summary))
    print(f'summary written to {args.work_dir}/summary.json')


if __name__ == '__main__':
    main()
