"""Iterative adversarial erasing as resumable stages.

From "Object Region Mining with Adversarial Erasing: A Simple
Classification to Semantic Segmentation Approach" (Wei et al., CVPR 2017),
whose code was not released; the procedure is transcribed from the paper.
At step t a classifier is trained on the training images I_t, CAM gives the
heatmap of each labelled class, the pixels above a hard threshold are the
mined regions F_t, and I_{t+1} is I_t with F_t set to the mean pixel. The
regions mined by all steps together form the object regions.

Each round writes under ``<work_dir>/round_<t>``::

    classifier/   trained on the images erased by rounds < t
    cams/         its CAM files of ``cam_split``, on the same erased images
    mined/        <id>.png: the regions mined by rounds <= t (0/1), which
                  round t + 1 erases
    merged_cams/  seed-split CAMs merged over rounds <= t (1 < t < R), to
                  evaluate the merge so far

and ``<work_dir>/cams`` holds the merge of all rounds in the CAM file
contract. A class's merged map is the maximum over rounds of that round's
normalised map: at any threshold its region is the union of the rounds'
regions (the paper's merge at its threshold), and the background threshold
can still be swept over it.
"""
import copy
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config
from mmengine.utils import ProgressBar

from mmwsss.cams import load_cam_file, save_cam_file, strided_cams
from mmwsss.cams.generate import DEFAULT_SCALES, generate_cams
from mmwsss.datasets import (WSSSCOCODataset, build_split_dataset,
                             dataset_type_of)
from mmwsss.datasets.image_labels import read_split_ids
from mmwsss.utils import (load_label_png, remove_stale_tmp_files,
                          save_palette_png)
from mmwsss.utils.errors import InputValueError
from .cams import init_cam_model
from .config import load_config
from .data_roots import check_data_root, num_foreground_classes, split_ids
from .stages import (StageRecord, config_inputs, data_identity,
                     evaluate_seed_stage, run_stage, save_summary,
                     train_and_test)

#: The paper's settings: three erasing steps (a fourth lowered its
#: results), and a pixel is mined when its heatmap value is within the top
#: 20% of the map's largest value.
PAPER_SETTINGS = dict(rounds=3, threshold=0.8)


def erasing_settings(cfg: Config) -> Tuple[int, float]:
    """``(rounds, threshold)`` of the config's top-level
    ``adversarial_erasing_cfg``; the paper's where a key is absent."""
    settings = dict(PAPER_SETTINGS)
    settings.update(cfg.get('adversarial_erasing_cfg', None) or {})
    rounds, threshold = settings['rounds'], float(settings['threshold'])
    if not isinstance(rounds, int) or rounds < 1:
        raise InputValueError(
            f'adversarial_erasing_cfg.rounds must be a positive '
            f'integer, got {rounds!r}')
    if not 0.0 <= threshold < 1.0:
        raise InputValueError(
            f'adversarial_erasing_cfg.threshold applies to CAMs '
            f'normalised to [0, 1]; got {threshold}')
    return rounds, threshold


def set_erase_dir(cfg: Config, erase_dir: Optional[str]) -> dict:
    """Point the ``EraseRegions`` step of the training pipeline at
    ``erase_dir`` (``None``: erase nothing), in place.

    Returns:
        dict: That pipeline step.
    """
    pipeline = cfg.train_dataloader.dataset.get('pipeline', None) or []
    steps = [t for t in pipeline if t.get('type') == 'EraseRegions']
    if len(steps) != 1:
        raise InputValueError(
            f'{cfg.filename}: adversarial erasing needs exactly one '
            f'EraseRegions step in train_dataloader.dataset.pipeline, found '
            f'{len(steps)}; see configs/demo/ae_r18_demo.py')
    steps[0]['erase_dir'] = erase_dir
    return steps[0]


def check_training_ids_covered(cfg: Config, data_root: str,
                               cam_split: str) -> None:
    """Raise unless ``cam_split`` holds every training image: regions are
    mined from its CAMs, and an image without a mask is never erased."""
    ann_file = cfg.train_dataloader.dataset.get('ann_file', '')
    path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
    if ann_file.endswith('.json'):
        # A COCO split is its instances JSON.
        expected = osp.join(data_root, WSSSCOCODataset.ann_file_of(cam_split))
        if osp.abspath(path) != osp.abspath(expected):
            raise InputValueError(
                f'the training images of {path} are not cam_split '
                f'{cam_split!r} ({expected}): regions of images outside it '
                'would never be mined or erased; use the training split as '
                'cam_split')
        return
    if not ann_file.endswith('.txt'):
        return
    missing = set(read_split_ids(path)) - set(split_ids(data_root, cam_split))
    if missing:
        raise InputValueError(
            f'{len(missing)} training image(s) of {path} are not in '
            f'cam_split {cam_split!r} (e.g. {sorted(missing)[0]}): their '
            'regions would never be mined or erased; use the training '
            'split as cam_split')


def mine_regions(high_res: np.ndarray, threshold: float) -> np.ndarray:
    """The regions a round mines in one image: pixels where the normalised
    CAM of any labelled class exceeds ``threshold``.

    Args:
        high_res (np.ndarray): ``[len(keys), H, W]`` maps in [0, 1].
        threshold (float): The hard threshold.

    Returns:
        np.ndarray: bool ``[H, W]``; all false for an image without maps.
    """
    return (np.asarray(high_res) > threshold).any(axis=0)


def merge_cams(cams: Sequence[Dict[str, np.ndarray]]) -> dict:
    """Merge one image's CAM files of several rounds: each class's map is
    the maximum of the rounds' normalised maps.

    Args:
        cams (Sequence[dict]): Loaded CAM files (``keys``, ``high_res``,
            optionally ``cam``) of the rounds, for the same image.

    Returns:
        dict: ``keys``, ``high_res`` and IRN's stride-4 ``cam``.
    """
    keys = cams[0]['keys']
    for cam in cams[1:]:
        if not np.array_equal(cam['keys'], keys):
            raise InputValueError(
                f'rounds disagree on the classes of an image: '
                f"{keys.tolist()} and {cam['keys'].tolist()}")
        if cam['high_res'].shape != cams[0]['high_res'].shape:
            raise InputValueError(
                f"rounds disagree on the CAM shape of an image: "
                f"{cams[0]['high_res'].shape} and "
                f"{cam['high_res'].shape}")
    return dict(
        keys=keys,
        high_res=np.maximum.reduce([c['high_res'] for c in cams]),
        cam=np.maximum.reduce([strided_cams(c) for c in cams]))


def write_merged_cams(cam_dirs: Sequence[str],
                      ids: Sequence[str],
                      out_dir: str,
                      progress: bool = True) -> int:
    """Write the merge (:func:`merge_cams`) of the rounds' CAM files of
    ``ids``; files already there are complete (atomic writes) and kept.

    Returns:
        int: Number of files written.
    """
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_tmp_files(out_dir)
    written = 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        path = osp.join(out_dir, img_id + '.npy')
        if not osp.exists(path):
            merged = merge_cams([
                load_cam_file(osp.join(d, img_id + '.npy')) for d in cam_dirs
            ])
            save_cam_file(path, **merged)
            written += 1
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    return written


def write_erase_masks(cam_dir: str,
                      ids: Sequence[str],
                      threshold: float,
                      out_dir: str,
                      previous_dir: Optional[str] = None,
                      truth_dir: Optional[str] = None,
                      progress: bool = True) -> dict:
    """Mine each image's regions from a round's CAM files and write their
    union with the earlier rounds' (``previous_dir``) as 0/1 PNGs.

    Args:
        cam_dir (str): The round's CAM files.
        ids (Sequence[str]): Images to mine.
        threshold (float): The hard threshold on normalised CAMs.
        out_dir (str): Where ``<id>.png`` is written (atomically).
        previous_dir (str, optional): The masks the round's images were
            erased with; an image without one had nothing erased.
        truth_dir (str, optional): Ground-truth masks; where an image has
            one, the erased pixels are counted as foreground or background.

    Returns:
        dict: ``erased_fraction`` (mean share of an image's pixels erased
        after this round), ``mined_fraction`` (the share newly mined by it)
        and ``erased_precision`` (% of erased pixels on ground-truth
        foreground; ``None`` without masks).
    """
    os.makedirs(out_dir, exist_ok=True)
    remove_stale_tmp_files(out_dir)
    erased, mined_new, on_object, on_background = [], [], 0, 0
    bar = ProgressBar(len(ids)) if progress else None
    for img_id in ids:
        cam = load_cam_file(osp.join(cam_dir, img_id + '.npy'))
        mined = mine_regions(cam['high_res'], threshold)
        previous = np.zeros_like(mined)
        if previous_dir is not None:
            path = osp.join(previous_dir, img_id + '.png')
            if osp.isfile(path):
                previous = load_label_png(path).astype(bool)
        if previous.shape != mined.shape:
            raise InputValueError(f'{previous_dir}/{img_id}.png is '
                                  f'{previous.shape} but the CAMs are '
                                  f'{mined.shape}')
        union = previous | mined
        save_palette_png(
            union.astype(np.uint8), osp.join(out_dir, img_id + '.png'))
        erased.append(union.mean())
        mined_new.append((mined & ~previous).mean())
        truth = osp.join(truth_dir, img_id + '.png') if truth_dir else None
        if truth is not None and osp.isfile(truth):
            label = load_label_png(truth)
            on_object += int((union & (label > 0) & (label < 255)).sum())
            on_background += int((union & (label == 0)).sum())
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    counted = on_object + on_background
    return dict(
        erased_fraction=float(np.mean(erased)) if erased else 0.0,
        mined_fraction=float(np.mean(mined_new)) if mined_new else 0.0,
        erased_precision=round(100.0 * on_object / counted, 2)
        if counted else None)


def make_erased_cams(config: str,
                     checkpoint: str,
                     out_dir: str,
                     split: str,
                     data_root: str,
                     erase_dir: Optional[str],
                     cfg_options: Optional[dict] = None,
                     device: Optional[str] = None) -> int:
    """Write CAM files of ``split`` as :func:`mmwsss.apis.make_cams` does,
    on the images as the round's classifier saw them: erased by
    ``erase_dir`` with the config's ``EraseRegions`` step.

    Returns:
        int: Number of files written.
    """
    model, cfg = init_cam_model(config, checkpoint, device, cfg_options)
    pipeline = None
    if erase_dir is not None:
        erase = copy.deepcopy(set_erase_dir(cfg, osp.abspath(erase_dir)))
        pipeline = [
            dict(type='LoadImageFromFile'), erase,
            dict(type='PackWSSSInputs')
        ]
    dataset = build_split_dataset(cfg, split, data_root, pipeline=pipeline)
    num_classes = len(dataset.metainfo['classes']) - 1
    if num_classes != model.num_classes:
        raise InputValueError(
            f'{checkpoint}: the model has {model.num_classes} classes but '
            f'the dataset has {num_classes} foreground classes')
    return generate_cams(model, dataset, out_dir, scales=DEFAULT_SCALES)


def run_round(index: int, work_dir: str, config: str, data_root: str,
              options: dict, erase_dir: Optional[str],
              erased_by: Optional[str], threshold: float, cam_split: str,
              seed_split: str, device: Optional[str],
              root: Optional[str] = None) -> dict:
    """Round ``index``: train on images erased by ``erase_dir`` (the
    regions of the stage with fingerprint ``erased_by``), write its CAMs,
    evaluate them and mine its regions; every step resumable and rerun
    when what it reads changed.

    Returns:
        dict: The round's outputs.
    """
    round_dir = osp.join(work_dir, f'round_{index}')
    os.makedirs(round_dir, exist_ok=True)
    record = StageRecord(round_dir, root=root or work_dir)
    cfg = load_config(config, options, data_root=data_root)
    set_erase_dir(cfg, erase_dir and osp.abspath(erase_dir))
    # How many rounds follow does not change this one (its mining
    # threshold is an input of the mining stage).
    round_cfg = config_inputs(cfg)
    round_cfg.pop('adversarial_erasing_cfg', None)
    data = data_identity(data_root)
    classifier_dir = osp.join(round_dir, 'classifier')

    def train():
        checkpoint, metrics, seconds_per_iter = train_and_test(
            cfg.copy(), classifier_dir)
        return dict(
            checkpoint=checkpoint,
            metrics=metrics,
            seconds_per_iter=seconds_per_iter,
            erase_dir=erase_dir and osp.abspath(erase_dir))

    trained = run_stage(
        record,
        'train',
        train,
        inputs=dict(
            config=round_cfg, erased_by=erased_by, data_root=data),
        folders=[classifier_dir])
    cam_dir = osp.join(round_dir, 'cams')
    cams = run_stage(
        record,
        'cams',
        lambda: dict(
            cam_dir=cam_dir,
            written=make_erased_cams(config, trained['checkpoint'], cam_dir,
                                     cam_split, data_root, erase_dir,
                                     options, device)),
        inputs=dict(
            trained=trained['fingerprint'], split=cam_split,
            data_root=data),
        folders=[cam_dir])
    seeds = evaluate_seed_stage(record, 'seeds', cams, data_root, seed_split)
    mined_dir = osp.join(round_dir, 'mined')
    mined = run_stage(
        record,
        'mine',
        lambda: dict(
            mined_dir=mined_dir,
            **write_erase_masks(
                cam_dir,
                split_ids(data_root, cam_split),
                threshold,
                mined_dir,
                previous_dir=erase_dir,
                truth_dir=dataset_type_of(data_root).true_mask_dir(
                    data_root, cam_split))),
        inputs=dict(
            cams=cams['fingerprint'],
            erased_by=erased_by,
            threshold=threshold,
            split=cam_split),
        folders=[mined_dir])
    metrics = trained['metrics']
    return dict(
        round=index,
        seed_miou=seeds['best_miou'],
        seed_threshold=seeds['best_threshold'],
        classifier_map=metrics.get('multi-label/mAP'),
        val_seed_miou=metrics.get('mIoU'),
        seconds_per_iter=trained.get('seconds_per_iter'),
        erased_fraction=mined['erased_fraction'],
        mined_fraction=mined['mined_fraction'],
        erased_precision=mined['erased_precision'],
        checkpoint=trained['checkpoint'],
        cam_dir=osp.abspath(cam_dir),
        mined_dir=osp.abspath(mined_dir),
        fingerprints=dict(
            train=trained['fingerprint'],
            cams=cams['fingerprint'],
            mine=mined['fingerprint']),
        record=record)


def merge_so_far(entry: dict, rounds: List[dict], data_root: str,
                 seed_split: str) -> None:
    """Merge the CAMs of ``rounds`` (up to ``entry``'s) on the seed split
    and evaluate them; adds ``merged_seed_miou`` / ``_threshold`` to
    ``entry``.
    """
    record = entry['record']
    merged_dir = osp.join(record.work_dir, 'merged_cams')
    ids = split_ids(data_root, seed_split)
    merged = run_stage(
        record,
        'merge',
        lambda: dict(
            cam_dir=merged_dir,
            written=write_merged_cams([r['cam_dir'] for r in rounds], ids,
                                      merged_dir)),
        inputs=dict(
            cams=[r['fingerprints']['cams'] for r in rounds],
            split=seed_split),
        folders=[merged_dir])
    seeds = evaluate_seed_stage(record, 'merged_seeds', merged, data_root,
                                seed_split)
    entry.update(
        merged_seed_miou=seeds['best_miou'],
        merged_seed_threshold=seeds['best_threshold'])


def run_adversarial_erasing(data_root: str,
                            work_dir: str,
                            config: str,
                            cam_split: str = 'train',
                            seed_split: str = 'train',
                            cfg_options: Optional[dict] = None,
                            device: Optional[str] = None,
                            root: Optional[str] = None) -> dict:
    """Adversarial erasing: ``rounds`` classifiers, each trained on the
    images with the regions mined by the earlier ones erased, their CAMs
    merged into seeds and evaluated. Finished stages are skipped on a rerun
    and an interrupted training resumes from its last checkpoint.

    Args:
        data_root (str): Dataset in VOC layout (``classes.txt`` optional)
            or COCO layout (see :func:`~mmwsss.datasets.dataset_type_of`).
        work_dir (str): Where the rounds write.
        config (str): Stage-1 config with an ``EraseRegions`` step in its
            training pipeline and ``adversarial_erasing_cfg =
            dict(rounds=..., threshold=...)``.
        cam_split (str): Split whose CAMs are written and whose regions are
            mined; it must hold every training image.
        seed_split (str): Split whose seeds are evaluated (needs masks).
        cfg_options (dict, optional): Overrides for the config.
        device (str, optional): Device for CAM inference.
        root (str, optional): The work dir of the whole run, see
            :class:`~mmwsss.apis.stages.StageRecord`.

    Returns:
        dict: The seed summary (``<work_dir>/summary.json``), with the keys
        of :func:`mmwsss.apis.run_seed_pipeline`'s (``classifier_map`` and
        ``val_seed_miou`` of round 1, ``checkpoint`` of the last round,
        ``seconds_per_iter`` the mean over rounds) and ``rounds``: per round
        the seed mIoU of its own CAMs and of the merge of the rounds so far,
        and how much of the images it left erased.
    """
    check_data_root(data_root, sorted({cam_split, seed_split}))
    num_classes = num_foreground_classes(data_root, cam_split)
    options = {'model.cam_head.num_classes': num_classes}
    options.update(cfg_options or {})
    cfg = load_config(config, options, data_root=data_root)
    rounds, threshold = erasing_settings(cfg)
    set_erase_dir(cfg, None)
    check_training_ids_covered(cfg, data_root, cam_split)
    data_root = osp.abspath(data_root)
    work_dir = osp.abspath(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    record = StageRecord(work_dir, root=root)

    entries, erase_dir, erased_by = [], None, None
    for index in range(1, rounds + 1):
        entry = run_round(index, work_dir, config, data_root, options,
                          erase_dir, erased_by, threshold, cam_split,
                          seed_split, device, root=root or work_dir)
        if index == 1:
            # The merge of one round is the round itself.
            entry.update(
                merged_seed_miou=entry['seed_miou'],
                merged_seed_threshold=entry['seed_threshold'])
        elif index < rounds:
            merge_so_far(entry, entries + [entry], data_root, seed_split)
        entries.append(entry)
        erase_dir = entry['mined_dir']
        erased_by = entry['fingerprints']['mine']

    cam_dir = osp.join(work_dir, 'cams')
    cams = run_stage(
        record,
        'cams',
        lambda: dict(
            cam_dir=cam_dir,
            written=write_merged_cams([e['cam_dir'] for e in entries],
                                      split_ids(data_root, cam_split),
                                      cam_dir)),
        inputs=dict(
            cams=[e['fingerprints']['cams'] for e in entries],
            split=cam_split),
        folders=[cam_dir])
    seeds = evaluate_seed_stage(record, 'seeds', cams, data_root, seed_split)
    entries[-1].update(
        merged_seed_miou=seeds['best_miou'],
        merged_seed_threshold=seeds['best_threshold'])

    stage_seconds = {}
    for entry in entries:
        record_of_round = entry.pop('record')
        for stage, seconds in record_of_round.seconds().items():
            stage_seconds[f"round_{entry['round']}/{stage}"] = seconds
    stage_seconds.update(record.seconds())
    times = [
        e['seconds_per_iter'] for e in entries
        if e['seconds_per_iter'] is not None
    ]
    summary = dict(
        data_root=osp.abspath(data_root),
        config=config,
        checkpoint=entries[-1]['checkpoint'],
        seed_split=seed_split,
        seed_miou=seeds['best_miou'],
        seed_threshold=seeds['best_threshold'],
        background_miou=seeds['background_miou'],
        classifier_map=entries[0]['classifier_map'],
        val_seed_miou=entries[0]['val_seed_miou'],
        cam_method='cam',
        seconds_per_iter=float(np.mean(times)) if times else None,
        cam_dir=cam_dir,
        fingerprints=dict(
            train=entries[-1]['fingerprints']['train'],
            cams=cams['fingerprint'],
            seeds=seeds['fingerprint']),
        stage_seconds=stage_seconds,
        adversarial_erasing_cfg=dict(rounds=rounds, threshold=threshold),
        rounds=entries)
    save_summary(summary, work_dir)
    return summary
