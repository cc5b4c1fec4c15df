"""The WSSS pipeline as resumable stages: train the classifier, write CAMs,
evaluate seeds. Each stage records its outputs in ``<work_dir>/stages.json``
when it finishes and is skipped on a rerun."""
import json
import os
import os.path as osp
import time

from mmengine.logging import print_log
from mmengine.runner import Runner
from prettytable import PrettyTable

from mmwsss.datasets.image_labels import VOC_CLASSES, read_class_names
from mmwsss.evaluation import evaluate_seeds, format_seed_table
from mmwsss.utils import save_json
from .cams import make_cams
from .config import load_config

PRESETS = {
    'demo': dict(cam='demo/cam_r18_demo.py'),
    'voc': dict(cam='cam/cam_r50_voc.py'),
}


def foreground_classes(data_root):
    """Foreground class names of a VOC-layout root (``classes.txt`` or VOC)."""
    path = osp.join(data_root, 'classes.txt')
    return read_class_names(path) if osp.isfile(path) else VOC_CLASSES


def check_voc_layout(data_root, splits):
    """Fail early, naming what is missing, if ``data_root`` is not in VOC
    layout."""
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    required = ['JPEGImages', 'Annotations'] + [
        osp.join('ImageSets', 'Segmentation', s + '.txt') for s in splits
    ]
    missing = [p for p in required if not osp.exists(osp.join(data_root, p))]
    if missing:
        raise FileNotFoundError(
            f'{data_root} is not in PASCAL VOC layout: missing {missing}')


class StageRecord:
    """Finished stages and their outputs, kept in ``stages.json``."""

    def __init__(self, work_dir):
        self.path = osp.join(work_dir, 'stages.json')
        self.stages = {}
        if osp.isfile(self.path):
            with open(self.path) as f:
                self.stages = json.load(f)

    def done(self, name):
        return name in self.stages

    def get(self, name):
        return self.stages[name]

    def finish(self, name, seconds, **outputs):
        self.stages[name] = dict(seconds=round(seconds, 1), **outputs)
        save_json(self.stages, self.path)


def _last_checkpoint(work_dir):
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        checkpoint = f.read().strip()
    return checkpoint if osp.isfile(checkpoint) else None


def train_classifier(config, work_dir, data_root, num_classes,
                     cfg_options=None):
    """Train the stage-1 classifier with mmengine's Runner (resuming from the
    last checkpoint of an interrupted run), then test it on the config's test
    split.

    Returns:
        tuple: ``(checkpoint path, test metrics dict)``.
    """
    options = {'model.cam_head.num_classes': num_classes}
    options.update(cfg_options or {})
    cfg = load_config(config, options, work_dir=work_dir, data_root=data_root)
    cfg.resume = _last_checkpoint(work_dir) is not None
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    checkpoint = _last_checkpoint(work_dir)
    if checkpoint is None:
        raise RuntimeError(f'{work_dir}: training wrote no checkpoint')
    return checkpoint, {k: float(v) for k, v in metrics.items()}


def run_seed_pipeline(data_root,
                      work_dir,
                      preset='demo',
                      config=None,
                      seed_split='train',
                      cfg_options=None,
                      device=None):
    """Train a CAM classifier, write its CAMs and evaluate the seeds.

    Args:
        data_root (str): Dataset in VOC layout (``classes.txt`` optional).
        work_dir (str): Where every stage writes; ``summary.json`` at its
            top.
        preset (str): ``'demo'`` or ``'voc'``; picks the stage configs.
        config (str, optional): Stage-1 config overriding the preset's.
        seed_split (str): Split whose CAMs are written and evaluated.
        cfg_options (dict, optional): Overrides for the stage-1 config.
        device (str, optional): Device for CAM inference.

    Returns:
        dict: The summary, also written to ``<work_dir>/summary.json``.
    """
    if preset not in PRESETS:
        raise ValueError(f'unknown preset {preset!r}; choose from '
                         f'{sorted(PRESETS)}')
    check_voc_layout(data_root, [seed_split])
    config = config or PRESETS[preset]['cam']
    num_classes = len(foreground_classes(data_root))
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir)

    if not record.done('train'):
        start = time.time()
        checkpoint, metrics = train_classifier(
            config, osp.join(work_dir, 'classifier'), data_root, num_classes,
            cfg_options)
        record.finish(
            'train',
            time.time() - start,
            checkpoint=checkpoint,
            metrics=metrics)
    train = record.get('train')

    cam_dir = osp.join(work_dir, 'cams')
    if not record.done('cams'):
        start = time.time()
        make_cams(
            config,
            train['checkpoint'],
            cam_dir,
            split=seed_split,
            data_root=data_root,
            device=device,
            cfg_options={'model.cam_head.num_classes': num_classes,
                         **(cfg_options or {})})
        record.finish('cams', time.time() - start, cam_dir=cam_dir)

    seed_json = osp.join(work_dir, f'seed_eval_{seed_split}.json')
    if not record.done('seeds'):
        start = time.time()
        result = evaluate_seeds(cam_dir, data_root, seed_split)
        save_json(result, seed_json)
        print_log(format_seed_table(result), logger='current')
        record.finish('seeds', time.time() - start, seed_json=seed_json)
    with open(seed_json) as f:
        seeds = json.load(f)

    metrics = train['metrics']
    summary = dict(
        data_root=osp.abspath(data_root),
        config=config,
        checkpoint=train['checkpoint'],
        seed_split=seed_split,
        seed_miou=seeds['best_miou'],
        seed_threshold=seeds['best_threshold'],
        background_miou=seeds['background_miou'],
        classifier_map=metrics.get('multi-label/mAP'),
        val_seed_miou=metrics.get('mIoU'),
        cam_dir=osp.abspath(cam_dir),
        stage_seconds={k: v['seconds']
                       for k, v in record.stages.items()})
    save_json(summary, osp.join(work_dir, 'summary.json'))
    return summary


def format_summary(summary):
    """The demo's result table."""
    table = PrettyTable(['result', 'value'])
    table.align['result'] = 'l'
    table.add_row(['all-background baseline mIoU (%)',
                   f"{summary['background_miou']:.2f}"])
    table.add_row([f"CAM seed mIoU (%), split {summary['seed_split']}",
                   f"{summary['seed_miou']:.2f}"])
    table.add_row(['best background threshold',
                   f"{summary['seed_threshold']:.2f}"])
    if summary.get('classifier_map') is not None:
        table.add_row(['classifier mAP (%), val split',
                       f"{summary['classifier_map']:.2f}"])
    for stage, seconds in summary['stage_seconds'].items():
        table.add_row([f'{stage} stage (s)', f'{seconds:.1f}'])
    return table.get_string()
