"""Write IRN-format CAM files for a dataset split, resumably."""
import hashlib
import os.path as osp
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.dataset import BaseDataset, pseudo_collate
from mmengine.model import BaseModel
from mmseg.utils import SampleList
from torch import Tensor
from torch.utils.data import DataLoader, Subset

from mmwsss.utils.progress import ProgressBar
from mmwsss.models.segmentors import CAMClassifier
from mmwsss.models.utils.cam_inference import normalize_cams
from mmwsss.utils import (fingerprint, prepare_shared_output_dir,
                          remove_stale_tmp_files)
from mmwsss.utils.errors import InputValueError
from .cam_file import CAM_STRIDE, save_cam_file
from .gradcam import GRADCAM_NORMS, GradCAM

DEFAULT_SCALES = (1.0, 0.5, 1.5, 2.0)


def generate_cams(model: CAMClassifier,
                  dataset: BaseDataset,
                  out_dir: str,
                  scales: Optional[Sequence[float]] = None,
                  flip: Optional[bool] = None,
                  method: str = 'cam',
                  target_layer: Optional[str] = None,
                  gradcam_norm: Optional[str] = None,
                  batch_size: int = 4,
                  num_workers: int = 2,
                  rank: int = 0,
                  world_size: int = 1,
                  progress: bool = True,
                  source: Optional[dict] = None,
                  overwrite: bool = False) -> int:
    """Run multi-scale + flip CAM inference over ``dataset`` and write one
    ``<img_id>.npy`` per image into ``out_dir``.

    What the files depend on (``source``, the inference settings, the
    split's ids) is recorded in ``<out_dir>/manifest.json``: a folder made
    under other settings is refused, naming them, unless ``overwrite``
    starts it over (see :func:`~mmwsss.utils.prepare_output_dir`).

    Only the classes in each image's label are kept; each map is ReLU'd,
    summed over scales and flips and divided by its maximum. Files are
    written atomically, so an interrupted run leaves no partial file, and
    ids whose file exists are skipped, so a rerun finishes the rest. Images
    of one size in a batch are inferred together.

    Args:
        model (CAMClassifier): A model with ``multi_scale_cams``.
        dataset (WSSSVOCDataset): Dataset whose pipeline packs original-size
            images and ``gt_img_labels``.
        out_dir (str): Output directory.
        scales (Sequence[float], optional): Inference scales; default the
            model's ``cam_inference_defaults()`` where it has them (CLIP-ES:
            its config's), else :data:`DEFAULT_SCALES`.
        flip (bool, optional): Add horizontally flipped images; default
            as ``scales``, else True.
        method (str): ``'cam'`` (the head's maps), ``'gradcam'`` or
            ``'gradcam++'``.
        target_layer (str, optional): Grad-CAM layer; default the backbone
            output.
        gradcam_norm (str, optional): Grad-CAM / Grad-CAM++: how each
            scale's and flip's maps are normalised before they are summed
            (see :class:`GradCAM`); default the model's
            ``test_cfg['gradcam_norm']``, else ``'minmax'``. Plain CAMs are
            summed raw, as IRN does.
        batch_size (int): Images loaded per step.
        num_workers (int): Data loading workers.
        rank (int): This process's shard of the ids.
        world_size (int): Number of shards.
        progress (bool): Show a progress bar.
        source (dict, optional): What the model is, for the manifest: its
            config and checkpoint digest (see
            :func:`mmwsss.apis.make_cams`); default a digest of the
            model's weights.
        overwrite (bool): Start over a folder made under other settings.

    Returns:
        int: Number of CAM files written by this call.
    """
    if method not in ('cam', 'gradcam', 'gradcam++'):
        raise InputValueError(
            f"method must be 'cam', 'gradcam' or 'gradcam++', "
            f'got {method!r}')
    defaults = model.cam_inference_defaults() if hasattr(
        model, 'cam_inference_defaults') else dict(
            scales=DEFAULT_SCALES, flip=True)
    scales = defaults['scales'] if scales is None else scales
    flip = defaults['flip'] if flip is None else flip
    if getattr(model, 'needs_image_labels', False) and method != 'cam':
        raise InputValueError(
            f'{type(model).__name__} makes its own gradient maps: method '
            f"must be 'cam', got {method!r}")
    if gradcam_norm is None:
        gradcam_norm = model.test_cfg.get('gradcam_norm', 'minmax')
    if gradcam_norm not in GRADCAM_NORMS:
        raise InputValueError(
            f'gradcam_norm must be one of {GRADCAM_NORMS}, got '
            f'{gradcam_norm!r}')
    if source is None:
        source = dict(
            model=type(model).__name__, weights=weights_digest(model))
    settings = dict(
        source=source,
        scales=list(scales),
        flip=flip,
        method=method,
        target_layer=target_layer,
        gradcam_norm=None if method == 'cam' else gradcam_norm,
        ids=fingerprint(
            dict(ids=[
                dataset.get_data_info(i)['img_id']
                for i in range(len(dataset))
            ])))
    prepare_shared_output_dir(out_dir, settings, 'CAM files', overwrite,
                              rank, world_size)
    # Shards are fixed by index, so ranks need no communication and a rerun
    # with any number of ranks completes exactly the missing files.
    shard = {
        index: dataset.get_data_info(index)['img_id'] + '.npy'
        for index in range(rank, len(dataset), world_size)
    }
    # Only this shard's leftovers: other ranks may be writing right now.
    remove_stale_tmp_files(out_dir, shard.values())
    pending = [
        index for index, name in shard.items()
        if not osp.exists(osp.join(out_dir, name))
    ]
    if progress and len(pending) < len(shard):
        print(f'{len(shard) - len(pending)} of {len(shard)} CAM files are '
              f'already in {out_dir}; writing {len(pending)}')
    if not pending:
        return 0

    model.eval()
    model.test_cfg.update(scales=tuple(scales), flip=flip)
    cam_fn = None if method == 'cam' else GradCAM(
        model, method, target_layer, norm=gradcam_norm)
    loader = DataLoader(
        Subset(dataset, pending),
        batch_size=batch_size,
        num_workers=num_workers,
        collate_fn=pseudo_collate,
        pin_memory=str(next(model.parameters()).device).startswith('cuda'))
    bar = ProgressBar(len(pending)) if progress else None
    # Files are written by threads while the next batch is inferred; the
    # backlog is bounded, and on an interruption every started write still
    # finishes (atomically) and the rest are dropped.
    writer = ThreadPoolExecutor(max_workers=2)
    in_flight = deque()
    written = 0
    try:
        with torch.no_grad():
            for batch in loader:
                for path, keys, high_res, strided in _infer_batch(
                        model, batch, cam_fn, out_dir):
                    in_flight.append(
                        writer.submit(save_cam_file, path, keys, high_res,
                                      strided))
                while len(in_flight) > 2 * batch_size:
                    in_flight.popleft().result()
                    written += 1
                if bar is not None:
                    bar.update(len(batch['inputs']))
            while in_flight:
                in_flight.popleft().result()
                written += 1
    finally:
        writer.shutdown(wait=True, cancel_futures=True)
    if bar is not None:
        print()
    return written


def weights_digest(model: torch.nn.Module) -> str:
    """A digest of a model's weights and buffers (16 hex digits)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def preprocess_groups(model: BaseModel,
                      batch: dict) -> Iterator[Tuple[Tensor, SampleList]]:
    """Split a loaded batch into groups of same-size images and run the
    model's data preprocessor once per group.

    Yields:
        tuple: ``(inputs [n, 3, H, W], data_samples)`` of each group, the
        samples as loaded (on the host).
    """
    groups = defaultdict(list)
    for inputs, sample in zip(batch['inputs'], batch['data_samples']):
        groups[tuple(inputs.shape)].append((inputs, sample))
    for items in groups.values():
        samples = [sample for _, sample in items]
        data = model.data_preprocessor(
            dict(inputs=[inputs for inputs, _ in items],
                 data_samples=samples), False)
        yield data['inputs'], samples


def _infer_batch(
        model: CAMClassifier, batch: dict, cam_fn: Optional[GradCAM],
        out_dir: str
) -> Iterator[Tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Yield ``(path, keys, high_res, cam)`` of every image of a loaded
    batch, ``cam`` being IRN's stride-4 maps.

    Images of one size are inferred together, and their maps come back to
    the host in one copy (one device synchronisation per group, not per
    image)."""
    for images, samples in preprocess_groups(model, batch):
        # CLIP-ES's softmax runs over each image's own classes.
        cams, strided = model.multi_scale_cams(
            images,
            samples if getattr(model, 'needs_image_labels', False) else
            cam_fn,
            strided_stride=CAM_STRIDE)
        # Keys from the labels on the host: no synchronisation to find them.
        keys = [
            torch.nonzero(sample.gt_img_labels > 0).flatten()
            for sample in samples
        ]
        maps, strided_maps = (normalize_cams(
            torch.cat([m[k.to(m.device)] for m, k in zip(group, keys)
                       ])).cpu().numpy() for group in (cams, strided))
        start = 0
        for sample, k in zip(samples, keys):
            end = start + len(k)
            yield (osp.join(out_dir, sample.metainfo['img_id'] + '.npy'),
                   k.numpy(), maps[start:end], strided_maps[start:end])
            start = end
