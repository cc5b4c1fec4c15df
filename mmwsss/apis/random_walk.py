"""Random-walk pseudo labels from a trained IRN / AffinityNet checkpoint,
and the quality of IRN's boundary map."""
import os.path as osp
from typing import Dict, Iterator, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from torch.utils.data import DataLoader

from mmwsss.utils.progress import ProgressBar
from mmwsss.datasets import build_split_dataset
from mmwsss.cams import load_cam_file
from mmwsss.evaluation import AreaAccumulator
from mmwsss.evaluation.boundary_eval import (BoundaryAPAccumulator,
                                             true_class_edges)
from mmwsss.pseudo_labels.labels import to_class_labels
from mmwsss.pseudo_labels.random_walk import (feature_affinities,
                                              psa_label_scores)
from mmwsss.pseudo_labels.random_walk_labels import (
    WALK_STRIDES, check_random_walk_settings, check_walk_fits,
    generate_random_walk_labels, refinement_of, steps_on_grid, walk_grid)
from mmwsss.utils import image_size, load_label_png
from mmwsss.utils.errors import (InputFileNotFoundError, InputTypeError,
                                 InputValueError)
from .config import load_config
from .model import init_model, model_source


def random_walk_settings(config: Union[str, Config],
                         overrides: Optional[Dict] = None) -> Tuple[str, dict]:
    """The refinement a config's model performs (``'irn'`` / ``'psa'``)
    and its random-walk settings: the defaults, then the config's
    ``random_walk_cfg``, then ``overrides`` (the command line), checked.
    """
    cfg = config if isinstance(config, Config) else load_config(config)
    model_type = cfg.model.get('type')
    refine = 'irn' if model_type == 'IRNBoundaryNet' else 'psa' \
        if model_type == 'AffinityNet' else None
    if refine is None:
        raise InputTypeError(
            f'{cfg.filename}: model type {model_type!r} is neither '
            'IRNBoundaryNet nor AffinityNet: give the config of a trained '
            'IRN or AffinityNet (a CAM config goes to make_cams.py)')
    settings = dict(cfg.get('random_walk_cfg', None) or {})
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    if refine == 'psa' and 'exp_times' in overrides:
        # One command-line name for the walk's length: PSA calls it logt.
        overrides['logt'] = overrides.pop('exp_times')
    settings.update(overrides)
    return refine, check_random_walk_settings(refine, settings)


def check_walk_fits_images(walk_cfg: dict, refine: str, dataset) -> None:
    """Check that the walk's radius fits the grid of every image of
    ``dataset`` (image headers only), before a model is built."""
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        width, height = image_size(info['img_path'])
        check_walk_fits(walk_cfg, refine, walk_grid((height, width), refine),
                        info['img_path'])


def make_sem_seg_labels(config: Union[str, Config],
                        checkpoint: str,
                        cam_dir: str,
                        out_dir: Optional[str],
                        split: str = 'train',
                        data_root: Optional[str] = None,
                        settings: Optional[Dict] = None,
                        score_dir: Optional[str] = None,
                        num_workers: int = 2,
                        device: Optional[str] = None,
                        cfg_options: Optional[Dict] = None,
                        rank: int = 0,
                        world_size: int = 1,
                        progress: bool = True,
                        overwrite: bool = False,
                        crf: Optional[Dict] = None) -> int:
    """Write random-walk pseudo labels for ``split``; see
    :func:`mmwsss.pseudo_labels.generate_random_walk_labels`. Settings and
    the checkpoint are checked before any image is read. ``settings`` may
    name the walk's length ``exp_times`` for either refinement. The output
    folders' manifests record the walk settings, the model config, the
    checkpoint's content digest and the data root; folders made under
    others are refused unless ``overwrite``.

    Returns:
        int: Labels written by this call.
    """
    cfg = load_config(config, cfg_options, data_root=data_root)
    refine, walk_cfg = random_walk_settings(cfg, settings)
    dataset = build_split_dataset(cfg, split, data_root)
    check_walk_fits_images(walk_cfg, refine, dataset)
    model, cfg = init_model(cfg, checkpoint, device)
    if refinement_of(model) != refine:
        raise InputTypeError(f'{cfg.filename}: the built model does not match '
                             f'the refinement {refine!r}')
    return generate_random_walk_labels(
        model,
        dataset,
        cam_dir,
        out_dir,
        settings=walk_cfg,
        score_dir=score_dir,
        num_workers=num_workers,
        rank=rank,
        world_size=world_size,
        progress=progress,
        source=model_source(cfg, checkpoint, dataset.data_root),
        overwrite=overwrite,
        crf=crf)


def images_with_masks(model: torch.nn.Module, dataset, num_workers: int,
                      progress: bool, purpose: str) -> Iterator[tuple]:
    """``(inputs, data sample, mask)`` of each image of ``dataset``,
    preprocessed by ``model``, with a progress bar; a missing mask is an
    error naming it and ``purpose``. Callers run the model under
    ``torch.no_grad``."""
    loader = DataLoader(
        dataset,
        batch_size=1,
        num_workers=num_workers,
        collate_fn=pseudo_collate)
    bar = ProgressBar(len(dataset)) if progress else None
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        sample = data['data_samples'][0]
        mask_path = sample.metainfo['seg_map_path']
        if not osp.isfile(mask_path):
            raise InputFileNotFoundError(f'{mask_path}: no mask {purpose}')
        yield data['inputs'], sample, load_label_png(mask_path)
        if bar is not None:
            bar.update()
    if bar is not None:
        print()


def boundary_map(model: torch.nn.Module, inputs: torch.Tensor, refine: str,
                 radius: int) -> torch.Tensor:
    """The boundary map ``[h, w]`` in [0, 1] of one normalised image
    ``[1, 3, H, W]`` on the walk's grid (see :func:`evaluate_boundary_map`).
    """
    if refine == 'irn':
        return model.predict_boundary(inputs)[0]
    affinities = feature_affinities(
        model.predict_features(inputs)[0], radius, psa_window=False)
    # exp(-d) > 0 on every pair inside the grid, 0 off it.
    count = (affinities > 0).sum(dim=0).clamp(min=1)
    return 1 - affinities.sum(dim=0) / count


def evaluate_boundary_map(config: Union[str, Config],
                          checkpoint: str,
                          split: str = 'train',
                          data_root: Optional[str] = None,
                          num_workers: int = 2,
                          device: Optional[str] = None,
                          cfg_options: Optional[Dict] = None,
                          progress: bool = True) -> dict:
    """Average precision of the boundary map of a trained affinity network
    against the true class edges of ``split``'s masks at the map's stride
    (see :mod:`mmwsss.evaluation.boundary_eval`), pooled over all cells.

    IRN: its boundary map as the walk uses it (image and flip, see
    ``IRNBoundaryNet.predict_boundary``), stride 4. AffinityNet: one minus
    the mean affinity of each cell to its forward neighbours within the
    walk's radius (those on the grid), stride 8: the walk crosses where it
    is low.

    Returns:
        dict: ``boundary_ap``, ``chance`` (the share of edge cells),
        ``edge_cells``, ``cells``, ``split``.
    """
    cfg = load_config(config, cfg_options, data_root=data_root)
    refine, walk_cfg = random_walk_settings(cfg)
    dataset = build_split_dataset(cfg, split, data_root)
    model, cfg = init_model(cfg, checkpoint, device)
    accumulator = BoundaryAPAccumulator()
    for image, _, mask in images_with_masks(
            model, dataset, num_workers, progress,
            'to evaluate the boundary map on'):
        with torch.no_grad():
            boundary = boundary_map(model, image, refine, walk_cfg['radius'])
        edges, valid = true_class_edges(mask, WALK_STRIDES[refine])
        accumulator.add(boundary.cpu().numpy(), edges, valid)
    return dict(accumulator.result(), split=split)


#: The background exponents :func:`sweep_psa_alpha` tries by default
#: (PSA infers with 16; on the demo the best is 2).
PSA_ALPHAS = (1, 2, 4, 8, 12, 16, 24, 32)


def sweep_psa_alpha(config: Union[str, Config],
                    checkpoint: str,
                    cam_dir: str,
                    split: str = 'train',
                    data_root: Optional[str] = None,
                    settings: Optional[Dict] = None,
                    alphas: Sequence[float] = PSA_ALPHAS,
                    num_workers: int = 2,
                    device: Optional[str] = None,
                    progress: bool = True) -> dict:
    """PSA's labels of ``split`` for each background exponent of
    ``alphas``, evaluated against its masks: the counterpart for
    AffinityNet of sweeping a constant background threshold. Each image
    walks once, every background beside the classes (the walk treats
    channels independently, see
    :func:`~mmwsss.pseudo_labels.random_walk.psa_label_scores`).

    Returns:
        dict: ``alphas``, ``miou`` (per alpha, percent), ``best_alpha``,
        ``best_miou``, ``split``.
    """
    cfg = load_config(config, data_root=data_root)
    refine, walk_cfg = random_walk_settings(cfg, settings)
    if refine != 'psa':
        raise InputTypeError(f'{cfg.filename}: the background exponent is '
                             "AffinityNet's; IRN's threshold is swept over "
                             'its saved scores')
    if not alphas or any(not 0 < a <= 256 for a in alphas):
        raise InputValueError(f'alphas must be in (0, 256], got {alphas}')
    dataset = build_split_dataset(cfg, split, data_root)
    check_walk_fits_images(walk_cfg, refine, dataset)
    model, cfg = init_model(cfg, checkpoint, device)
    num_classes = len(dataset.metainfo['classes']) - 1
    accumulators = [AreaAccumulator(num_classes + 1) for _ in alphas]
    for image, sample, mask in images_with_masks(
            model, dataset, num_workers, progress,
            'to sweep the background on'):
        size = tuple(image.shape[-2:])
        cam = load_cam_file(
            osp.join(cam_dir, sample.metainfo['img_id'] + '.npy'),
            num_classes, size)
        with torch.no_grad():
            features = model.predict_features(image)[0]
        scores = psa_label_scores(
            torch.from_numpy(cam['high_res']), features, list(alphas),
            walk_cfg['beta'], walk_cfg['logt'], walk_cfg['radius'],
            steps_on_grid(walk_cfg, 'psa', walk_grid(size, 'psa')))
        classes = scores[len(alphas):]
        truth = torch.from_numpy(mask.astype(np.int64))
        for k, accumulator in enumerate(accumulators):
            index = torch.cat([scores[k:k + 1], classes]).argmax(dim=0)
            accumulator.add(
                torch.from_numpy(
                    to_class_labels(index.cpu().numpy(),
                                    cam['keys']).astype(np.int64)), truth)
    mious = [a.metrics()['miou'] for a in accumulators]
    best = int(np.argmax(mious))
    return dict(
        alphas=[float(a) for a in alphas],
        miou=mious,
        best_alpha=float(alphas[best]),
        best_miou=mious[best],
        split=split)


def format_alpha_sweep(result: dict) -> str:
    """The sweep as one line per exponent."""
    return '\n'.join(
        f'alpha {a:g}: mIoU {m:.2f}'
        for a, m in zip(result['alphas'], result['miou']))
