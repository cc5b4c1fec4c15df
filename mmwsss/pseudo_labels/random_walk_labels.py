"""Pseudo labels by random walk over learned affinities: IRN's boundary
affinities (Ahn et al., CVPR 2019, ``step/make_sem_seg_labels.py``) or
AffinityNet's feature affinities (Ahn & Kwak, CVPR 2018, ``infer_aff.py``),
propagated from the CAM files; resumable, sharded and atomic like the other
generators."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from torch.utils.data import DataLoader, Subset

from mmwsss.utils.progress import ProgressBar
from mmwsss.cams import load_cam_file, save_cam_file, strided_cams
from mmwsss.cams.generate import weights_digest
from mmwsss.utils import (fingerprint, folder_fingerprint,
                          prepare_shared_output_dir, read_rgb,
                          remove_stale_tmp_files, require_files,
                          save_palette_png)
from mmwsss.utils.errors import InputTypeError, InputValueError
from .crf import crf_refine_labels
from .labels import label_from_cams, to_class_labels
from .random_walk import irn_label_scores, psa_label_scores, walk_steps

#: How the number of steps follows the grid (see
#: :func:`~mmwsss.pseudo_labels.random_walk.walk_steps`): ``'fixed'``
#: (the official ``2 ** exp_times``) or ``'relative'`` (the official
#: walk's reach relative to an image of ``reference_size`` walked at
#: ``reference_radius``: VOC's ~375 x 500 images at radius 5).
STEPS_RULE_DEFAULTS = dict(
    steps_rule='fixed', reference_size=(375, 500), reference_radius=5)

#: Settings of each refinement, IRN's and PSA's official defaults.
RANDOM_WALK_DEFAULTS = dict(
    irn=dict(
        beta=10.0, exp_times=8, radius=5, bg_threshold=0.25,
        **STEPS_RULE_DEFAULTS),
    psa=dict(alpha=16.0, beta=8.0, logt=8, radius=5, **STEPS_RULE_DEFAULTS))

#: The stride of each walk's grid: IRN walks the stride-4 CAMs, PSA pools
#: the CAMs by 8.
WALK_STRIDES = dict(irn=4, psa=8)


def walk_grid(size: Sequence[int], refine: str) -> Tuple[int, int]:
    """The walk's grid of an image of ``size`` ``(H, W)``: IRN's strided
    size ``(H - 1) // 4 + 1``, PSA's ``ceil(H / 8)`` (the same)."""
    stride = WALK_STRIDES[refine]
    return (-(-int(size[0]) // stride), -(-int(size[1]) // stride))


def steps_on_grid(cfg: dict, refine: str, grid: Sequence[int]) -> int:
    """Steps of the walk of checked settings ``cfg`` on ``grid``."""
    return walk_steps(
        tuple(grid),
        cfg['exp_times' if refine == 'irn' else 'logt'],
        cfg['radius'],
        cfg['steps_rule'],
        walk_grid(cfg['reference_size'], refine),
        cfg['reference_radius'])


def check_walk_fits(cfg: dict, refine: str, grid: Sequence[int],
                    where: str) -> None:
    """Raise naming ``random_walk_cfg.radius`` when the pair radius does
    not fit in ``grid`` (``where``: the image it belongs to)."""
    if cfg['radius'] > min(grid):
        raise InputValueError(
            f'{where}: random_walk_cfg.radius {cfg["radius"]} is larger '
            f'than its {grid[0]} x {grid[1]} walk grid (stride '
            f'{WALK_STRIDES[refine]}); use a radius of at most {min(grid)}')


def refinement_of(model: torch.nn.Module) -> str:
    """``'irn'`` for a boundary network, ``'psa'`` for an AffinityNet."""
    if hasattr(model, 'predict_boundary'):
        return 'irn'
    if hasattr(model, 'predict_features'):
        return 'psa'
    raise InputTypeError(
        f'{type(model).__name__} is neither a boundary network '
        '(IRN) nor an AffinityNet: the random walk needs one')


def check_random_walk_settings(refine: str, settings: dict) -> dict:
    """Complete ``settings`` with the defaults of ``refine`` and check their
    ranges before any work starts.

    Raises:
        ValueError: naming the setting that is out of range or unknown.
    """
    if refine not in RANDOM_WALK_DEFAULTS:
        raise InputValueError(
            f"refinement must be 'irn' or 'psa', got {refine!r}")
    unknown = set(settings) - set(RANDOM_WALK_DEFAULTS[refine])
    if unknown:
        raise InputValueError(
            f'unknown random-walk settings {sorted(unknown)} '
            f'for {refine}; expected '
            f'{sorted(RANDOM_WALK_DEFAULTS[refine])}')
    cfg = dict(RANDOM_WALK_DEFAULTS[refine], **settings)
    reference = cfg['reference_size']
    if isinstance(reference, int):
        reference = (reference, reference)
    if (not isinstance(reference, (list, tuple)) or len(reference) != 2
            or not all(isinstance(v, (int, float)) and v >= 1
                       for v in reference)):
        raise InputValueError(
            'random_walk_cfg.reference_size must be an image size (H, W) '
            f'of at least one pixel, got {cfg["reference_size"]!r}')
    cfg['reference_size'] = tuple(int(v) for v in reference)
    if cfg['steps_rule'] not in ('fixed', 'relative'):
        raise InputValueError(
            "random_walk_cfg.steps_rule must be 'fixed' or 'relative', got "
            f'{cfg["steps_rule"]!r}')
    reference_radius = cfg['reference_radius']
    if int(reference_radius) != reference_radius or \
            not 2 <= reference_radius <= 16:
        raise InputValueError(
            'random_walk_cfg.reference_radius must be an integer in '
            f'[2, 16], got {reference_radius}')
    radius, steps = cfg['radius'], cfg.get('exp_times', cfg.get('logt'))
    if int(radius) != radius or not 2 <= radius <= 16:
        raise InputValueError(
            f'radius must be an integer in [2, 16], got {radius}')
    if int(steps) != steps or not 0 <= steps <= 16:
        name = 'exp_times' if refine == 'irn' else 'logt'
        raise InputValueError(
            f'{name} must be an integer in [0, 16] (the walk '
            f'takes 2**{name} steps), got {steps}')
    if cfg['steps_rule'] == 'relative':
        check_walk_fits(cfg, refine, walk_grid(cfg['reference_size'],
                                               refine),
                        'random_walk_cfg.reference_size '
                        f'{cfg["reference_size"]}')
    if not 0 < cfg['beta'] <= 100:
        raise InputValueError(f"beta must be in (0, 100], got {cfg['beta']}")
    if refine == 'irn' and not 0 <= cfg['bg_threshold'] <= 1:
        raise InputValueError('bg_threshold must be in [0, 1], got '
                              f"{cfg['bg_threshold']}")
    if refine == 'psa' and not 0 < cfg['alpha'] <= 256:
        raise InputValueError(
            f"alpha must be in (0, 256], got {cfg['alpha']}")
    return cfg


def generate_random_walk_labels(model: torch.nn.Module,
                                dataset: BaseDataset,
                                cam_dir: str,
                                out_dir: Optional[str],
                                settings: Optional[Dict] = None,
                                score_dir: Optional[str] = None,
                                num_workers: int = 2,
                                rank: int = 0,
                                world_size: int = 1,
                                progress: bool = True,
                                source: Optional[Dict] = None,
                                overwrite: bool = False,
                                crf: Optional[Dict] = None) -> int:
    """Write ``<id>.png`` pseudo labels of ``dataset`` refined by the random
    walk of ``model`` (an IRN boundary network or an AffinityNet).

    The walk's settings, ``source``, the CAM folder and the split's ids are
    recorded in the manifest of ``out_dir`` (and of ``score_dir``): a
    folder made under other settings is refused, naming them, unless
    ``overwrite`` starts it over (see
    :func:`~mmwsss.utils.prepare_output_dir`).

    The number of steps follows ``steps_rule`` on each image's grid (see
    :func:`~mmwsss.pseudo_labels.random_walk.walk_steps`); ``'fixed'``
    takes the official ``2**exp_times`` / ``2**logt``.

    IRN: the boundary map of the image and its flip, the stride-4 CAMs
    times (1 - boundary) propagated ``2**exp_times`` steps, upsampled,
    divided by their maximum, against a constant ``bg_threshold``. PSA: the
    full-size CAMs with the power background ``(1 - max) ** alpha``,
    average-pooled to stride 8 and propagated ``2**logt`` steps over the
    feature affinities, upsampled, argmax. The walk never builds the dense
    transition matrix (see :mod:`mmwsss.pseudo_labels.random_walk`).

    Args:
        model (nn.Module): Trained boundary network or AffinityNet, in eval
            mode on its device.
        dataset (BaseDataset): Dataset packing original-size images (see
            :func:`mmwsss.datasets.build_split_dataset`).
        cam_dir (str): CAM files of the dataset's ids.
        out_dir (str, optional): Output directory of the palette PNGs;
            None (IRN, with ``score_dir``) writes only the scores, to be
            thresholded afterwards (see :func:`generate_pseudo_labels`).
        settings (dict, optional): Overrides of
            :data:`RANDOM_WALK_DEFAULTS` of the model's refinement.
        score_dir (str, optional): IRN only: also write the propagated
            scores as CAM files (``high_res``), so that the background
            threshold can be swept afterwards (``tools/eval_cams.py``)
            without rerunning the walk.
        num_workers (int): Image loading workers.
        rank (int): This process's shard of the ids.
        world_size (int): Number of shards.
        progress (bool): Show a progress bar.
        source (dict, optional): What the model is, for the manifests: its
            config and checkpoint digest (see
            :func:`mmwsss.apis.make_sem_seg_labels`); default a digest of
            the model's weights.
        overwrite (bool): Start over folders made under other settings.
        crf (dict, optional): PSA only: dense CRF settings (see
            :data:`~mmwsss.pseudo_labels.CRF_DEFAULTS`) applied to the
            walk's labels on the image, as the CRF labels are made; IRN
            thresholds saved scores for that (``score_dir``, then
            :func:`generate_pseudo_labels`).

    Returns:
        int: Labels written by this call; existing ones are kept.
    """
    refine = refinement_of(model)
    cfg = check_random_walk_settings(refine, settings or {})
    if crf is not None and refine != 'psa':
        raise InputValueError(
            "crf: IRN's labels get a CRF from their saved scores "
            '(score_dir, then generate_pseudo_labels)')
    if score_dir is not None and refine != 'irn':
        raise InputValueError(
            'score_dir: only IRN has a constant background threshold to '
            'sweep; PSA propagates its background')
    if out_dir is None and score_dir is None:
        raise InputValueError('give out_dir (labels), score_dir (IRN '
                              'scores) or both')
    num_classes = len(dataset.metainfo['classes']) - 1
    shard = {
        index: dataset.get_data_info(index)['img_id']
        for index in range(rank, len(dataset), world_size)
    }
    require_files(cam_dir, list(shard.values()), '.npy', 'CAM files',
                  '; run make_cams on this split')
    if source is None:
        source = dict(
            model=type(model).__name__, weights=weights_digest(model))
    settings = dict(
        refine=refine,
        walk=cfg,
        crf=crf,
        source=source,
        cams=folder_fingerprint(cam_dir) or osp.realpath(cam_dir),
        ids=fingerprint(
            dict(ids=[
                dataset.get_data_info(i)['img_id']
                for i in range(len(dataset))
            ])))
    targets = []
    if out_dir is not None:
        targets.append((out_dir, '.png', 'random-walk labels'))
    if score_dir is not None:
        targets.append((score_dir, '.npy', 'random-walk scores'))
    for folder, suffix, what in targets:
        prepare_shared_output_dir(folder, settings, what, overwrite, rank,
                                  world_size)
        # Only this shard's leftovers: other ranks may be writing now.
        remove_stale_tmp_files(folder,
                               [i + suffix for i in shard.values()])
    pending = [
        index for index, img_id in shard.items() if not all(
            osp.exists(osp.join(d, img_id + suffix))
            for d, suffix, _ in targets)
    ]
    if not pending:
        return 0

    model.eval()
    device = next(model.parameters()).device
    loader = DataLoader(
        Subset(dataset, pending),
        batch_size=1,
        num_workers=num_workers,
        collate_fn=pseudo_collate)
    bar = ProgressBar(len(pending)) if progress else None
    with torch.no_grad():
        for batch in loader:
            data = model.data_preprocessor(batch, False)
            image, sample = data['inputs'], data['data_samples'][0]
            img_id = sample.metainfo['img_id']
            size = tuple(image.shape[-2:])
            cam = load_cam_file(
                osp.join(cam_dir, img_id + '.npy'), num_classes, size)
            keys = cam['keys']
            grid = walk_grid(size, refine)
            check_walk_fits(cfg, refine, grid, img_id)
            steps = steps_on_grid(cfg, refine, grid)
            if refine == 'irn':
                boundary = model.predict_boundary(image)[0]
                cams = torch.from_numpy(strided_cams(cam)).to(device)
                scores = irn_label_scores(
                    cams, boundary, size, cfg['beta'], cfg['exp_times'],
                    cfg['radius'], steps=steps).cpu().numpy()
                label = None if out_dir is None else label_from_cams(
                    scores, keys, bg_threshold=cfg['bg_threshold'])
                if score_dir is not None:
                    save_cam_file(
                        osp.join(score_dir, img_id + '.npy'), keys, scores)
            else:
                features = model.predict_features(image)[0]
                cams = torch.from_numpy(cam['high_res']).to(device)
                scores = psa_label_scores(
                    cams, features, cfg['alpha'], cfg['beta'], cfg['logt'],
                    cfg['radius'], steps=steps)
                # PSA propagates its background: channel 0.
                index = scores.argmax(dim=0).cpu().numpy()
                if crf is not None:
                    index = crf_refine_labels(
                        read_rgb(sample.metainfo['img_path']), index,
                        len(keys) + 1, **crf)
                label = to_class_labels(index, keys).astype(np.uint8)
            if label is not None:
                save_palette_png(label, osp.join(out_dir, img_id + '.png'))
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    return len(pending)
