"""SEC (Kolesnikov & Lampert, ECCV 2016) as resumable stages: localization
cues from CAM files, the segmentation network trained on them with the seed,
expand and constrain losses, its labels of a split and their evaluation.

    cues → training → labels → evaluation
"""
import json
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

from mmwsss.datasets import build_split_dataset
from mmwsss.pseudo_labels import generate_pseudo_labels
from mmwsss.utils import (folder_fingerprint, prepare_output_dir,
                          remove_stale_tmp_files, save_palette_png)
from mmwsss.utils.errors import InputFileNotFoundError, InputKeyError
from mmwsss.visualization import render_label_grid
from .config import load_config
from .data_roots import (check_data_root, num_foreground_classes,
                         pseudo_label_train_set, split_ids)
from .model import init_model, model_source
from .stages import (StageRecord, config_inputs, data_identity,
                     evaluate_label_stage, run_stage, save_summary,
                     train_and_test)


def make_sec_labels(config: str,
                    checkpoint: str,
                    out_dir: str,
                    split: str = 'train',
                    data_root: Optional[str] = None,
                    device: Optional[str] = None,
                    overwrite: bool = False) -> int:
    """Write SEC's predictions for the images of ``split`` as palette PNGs
    ``<out_dir>/<id>.png`` at the original image size, with the model's
    test settings (``test_cfg``: SEC's test-time CRF and whether the argmax
    keeps to the image's classes). Existing labels are kept when the
    folder's manifest records the same model, checkpoint and split; a
    folder made under others is refused unless ``overwrite``.

    Args:
        config (str): The trained SEC config.
        checkpoint (str): Its checkpoint.
        out_dir (str): Output folder.
        split (str): Split whose images are labelled.
        data_root (str, optional): Overrides the config's data root.
        device (str, optional): Inference device.
        overwrite (bool): Start over a folder made under other settings.

    Returns:
        int: Labels written by this call.
    """
    model, cfg = init_model(config, checkpoint, device, data_root=data_root)
    # Labels need no masks: drop the loading of annotations.
    pipeline = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'LoadAnnotations'
    ]
    dataset = build_split_dataset(cfg, split, data_root, pipeline=pipeline)
    prepare_output_dir(
        out_dir,
        dict(
            model_source(cfg, checkpoint, dataset.data_root), split=split),
        'SEC labels',
        overwrite=overwrite)
    remove_stale_tmp_files(out_dir)
    written = 0
    for index in range(len(dataset)):
        img_id = dataset.get_data_info(index)['img_id']
        path = osp.join(out_dir, img_id + '.png')
        if osp.isfile(path):
            continue
        with torch.no_grad():
            sample = model.test_step(pseudo_collate([dataset[index]]))[0]
        label = sample.pred_sem_seg.data[0].cpu().numpy()
        save_palette_png(label.astype(np.uint8), path)
        written += 1
    return written


def cam_classifier_checkpoint(cam_dir: str) -> str:
    """The checkpoint of the classifier whose CAM files ``cam_dir`` holds,
    from the ``summary.json`` that :func:`~mmwsss.apis.run_seed_pipeline`
    writes beside its ``cams`` folder."""
    seed_dir = osp.dirname(osp.abspath(cam_dir))
    path = osp.join(seed_dir, 'summary.json')
    summary = {}
    if osp.isfile(path):
        with open(path) as f:
            summary = json.load(f)
    # The summary's paths are relative to its folder (absolute ones stay).
    same_cams = summary.get('cam_dir') and osp.normpath(
        osp.join(seed_dir, summary['cam_dir'])) == osp.abspath(cam_dir)
    checkpoint = summary.get('checkpoint') and osp.join(
        seed_dir, summary['checkpoint'])
    if not (same_cams and checkpoint and osp.isfile(checkpoint)):
        raise InputFileNotFoundError(
            f'{path}: no summary of the classifier that wrote {cam_dir} '
            'naming its checkpoint; pass load_from, or set '
            'init_from_cam_classifier=False in the config')
    return checkpoint


def run_sec_seeds(data_root: str,
                  work_dir: str,
                  config: str,
                  cam_dir: str,
                  cam_split: str = 'train',
                  seed_split: str = 'train',
                  cfg_options: Optional[dict] = None,
                  device: Optional[str] = None,
                  num_workers: int = 2,
                  load_from: Optional[str] = None,
                  root: Optional[str] = None,
                  cams_fingerprint: Optional[str] = None) -> dict:
    """SEC's seeds: localization cues of ``cam_split`` from the CAM files
    of ``cam_dir`` (``sec_cue_cfg`` of the config, passed to
    :func:`~mmwsss.pseudo_labels.generate_pseudo_labels`), the SEC
    segmentation network trained on them (``<work_dir>/segmentor``), its
    labels of ``seed_split`` (``<work_dir>/labels``) and their mIoU. Each
    stage is recorded in ``<work_dir>/stages.json`` with a fingerprint of
    its settings and inputs, and skipped on a rerun under the same one.

    Args:
        data_root (str): Dataset in VOC layout (``classes.txt`` optional)
            or COCO layout (see :func:`~mmwsss.datasets.dataset_type_of`).
        work_dir (str): Where the stages write.
        config (str): SEC config with a top-level ``sec_cue_cfg``.
        cam_dir (str): CAM files of ``cam_split`` (``<id>.npy``).
        cam_split (str): Split the network trains on.
        seed_split (str): Split that is labelled and evaluated (needs
            masks).
        cfg_options (dict, optional): Overrides for the config.
        device (str, optional): Device of the label inference.
        num_workers (int): Processes writing the cues.
        load_from (str, optional): Checkpoint the network starts from.
            Default: the config's ``load_from``, or, when the config sets
            ``init_from_cam_classifier`` (the demo: no ImageNet weights
            offline), the checkpoint of the CAM classifier that wrote
            ``cam_dir`` (see :func:`cam_classifier_checkpoint`).
        root (str, optional): The work dir of the whole run, see
            :class:`~mmwsss.apis.stages.StageRecord`.
        cams_fingerprint (str, optional): Fingerprint of the stage that
            wrote ``cam_dir``; default its folder's manifest.

    Returns:
        dict: The summary, also written to ``<work_dir>/summary.json``:
        ``seed_miou`` (the labels' mIoU on ``seed_split``), ``cue_miou``
        and ``cue_ignored_fraction`` (the cues', where ``seed_split`` is
        part of ``cam_split``), ``val_miou`` (the network's on the config's
        test split), ``seconds_per_iter``, ``checkpoint``, ``label_dir``,
        ``stage_seconds``, ``config_file`` (the config trained) and
        ``fingerprints``; ``seed_threshold``, ``background_miou`` and
        ``classifier_map`` are None (no threshold, no classifier).
    """
    check_data_root(data_root, sorted({cam_split, seed_split}))
    data_root = osp.abspath(data_root)
    num_classes = num_foreground_classes(data_root, cam_split)
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir, root=root)
    data = data_identity(data_root)
    cams = cams_fingerprint or folder_fingerprint(cam_dir) or \
        osp.realpath(cam_dir)
    options = {'model.decode_head.num_classes': num_classes + 1}
    options.update(cfg_options or {})
    cfg = load_config(config, options, data_root=data_root)
    if cfg.get('sec_cue_cfg') is None:
        raise InputKeyError(
            f'{config}: an SEC config needs a top-level '
            'sec_cue_cfg (the settings of its localization cues)')
    cue_cfg = dict(cfg.sec_cue_cfg)

    cue_dir = osp.join(work_dir, 'cues')
    cues = run_stage(
        record,
        'cues',
        lambda: dict(
            label_dir=cue_dir,
            settings=cue_cfg,
            written=generate_pseudo_labels(
                cam_dir,
                data_root,
                cam_split,
                cue_dir,
                num_classes=num_classes,
                num_workers=num_workers,
                progress=False,
                overwrite=True,
                **cue_cfg)),
        inputs=dict(
            cams=cams, settings=cue_cfg, split=cam_split, data_root=data),
        folders=[cue_dir])
    cue_eval = None
    seed_ids = set(split_ids(data_root, seed_split))
    if seed_ids <= set(split_ids(data_root, cam_split)):
        cue_eval = evaluate_label_stage(record, 'cue_eval', cues, data_root,
                                        seed_split)

    if load_from is not None:
        cfg.load_from = load_from
    elif not cfg.get('load_from') and cfg.get('init_from_cam_classifier'):
        cfg.load_from = cam_classifier_checkpoint(cam_dir)
    cfg.train_dataloader.dataset = pseudo_label_train_set(
        cfg.train_dataloader.dataset, data_root, cam_split, cue_dir)
    train_dir = osp.join(work_dir, 'segmentor')

    def train():
        os.makedirs(train_dir, exist_ok=True)
        config_path = osp.join(train_dir, 'sec_config.py')
        cfg.dump(config_path)
        checkpoint, metrics, seconds_per_iter = train_and_test(
            cfg.copy(), train_dir)
        return dict(
            config=config_path,
            load_from=cfg.get('load_from'),
            checkpoint=checkpoint,
            metrics=metrics,
            seconds_per_iter=seconds_per_iter)

    trained = run_stage(
        record,
        'train',
        train,
        inputs=dict(
            config=config_inputs(cfg),
            cues=cues['fingerprint'],
            data_root=data),
        folders=[train_dir])
    label_dir = osp.join(work_dir, 'labels')
    label_stage = run_stage(
        record,
        'labels',
        lambda: dict(
            label_dir=label_dir,
            written=make_sec_labels(
                trained['config'],
                trained['checkpoint'],
                label_dir,
                split=seed_split,
                data_root=data_root,
                device=device,
                overwrite=True)),
        inputs=dict(
            trained=trained['fingerprint'], split=seed_split,
            data_root=data),
        folders=[label_dir])
    labels = evaluate_label_stage(record, 'label_eval', label_stage,
                                  data_root, seed_split)

    figure_dir = osp.join(work_dir, 'figures')
    figure = osp.join(figure_dir, 'labels.png')
    run_stage(
        record,
        'figures',
        lambda: dict(figure=render_label_grid(
            data_root, label_dir, split_ids(data_root, seed_split)[:4],
            figure, title='SEC', split=seed_split)),
        inputs=dict(labels=label_stage['fingerprint']),
        folders=[figure_dir])

    summary = dict(
        data_root=osp.abspath(data_root),
        config=config,
        cam_dir=osp.abspath(cam_dir),
        cue_dir=osp.abspath(cue_dir),
        cue_settings=cue_cfg,
        cue_miou=cue_eval['miou'] if cue_eval else None,
        cue_ignored_fraction=cue_eval['ignored_fraction']
        if cue_eval else None,
        seed_split=seed_split,
        seed_miou=labels['miou'],
        seed_threshold=None,
        background_miou=None,
        classifier_map=None,
        val_miou=trained['metrics'].get('mIoU'),
        load_from=trained.get('load_from'),
        seconds_per_iter=trained['seconds_per_iter'],
        checkpoint=trained['checkpoint'],
        config_file=trained['config'],
        label_dir=label_dir,
        fingerprints=dict(
            cues=cues['fingerprint'],
            train=trained['fingerprint'],
            labels=label_stage['fingerprint']),
        stage_seconds=record.seconds())
    save_summary(summary, work_dir)
    return summary
