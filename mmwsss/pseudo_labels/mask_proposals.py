"""Class-agnostic mask proposals of a split, cached per image, and the
pseudo labels merged with them (SAM_WSSS's rule, any labels or CAMs)."""
import os.path as osp
from functools import partial
from typing import Dict, Optional, Sequence, Union

import numpy as np
from PIL import Image

from mmwsss.cams import load_cam_file
from mmwsss.datasets import split_files
from mmwsss.utils import (atomic_write, check_image_file, fingerprint,
                          folder_fingerprint, load_label_png,
                          prepare_output_dir, read_rgb,
                          remove_stale_tmp_files, require_files,
                          save_palette_png)
from mmwsss.utils.errors import InputValueError
from mmwsss.utils.parallel import map_tasks
from mmwsss.utils.progress import ProgressBar
from .labels import label_from_cams
from .mask_merge import MERGE_DEFAULTS, merge_label_with_masks
from .mask_sources import MASK_SOURCES

MASK_SUFFIX = '.npz'


def save_masks(path: str, masks: np.ndarray) -> None:
    """Write ``[M, H, W]`` bool masks bit-packed, atomically."""
    masks = np.asarray(masks, dtype=bool)
    with atomic_write(path, suffix=MASK_SUFFIX) as tmp:
        with open(tmp, 'wb') as f:
            np.savez_compressed(
                f,
                shape=np.asarray(masks.shape, dtype=np.int64),
                bits=np.packbits(masks.reshape(-1)))


def load_masks(path: str, shape: Optional[Sequence[int]] = None
               ) -> np.ndarray:
    """Read a mask cache file; with ``shape`` check it is of that image
    size.

    Raises:
        InputValueError: A file of another image size, or not a mask file,
            naming it.
    """
    try:
        with np.load(path) as data:
            size = tuple(int(v) for v in data['shape'])
            bits = data['bits']
    except (OSError, KeyError, ValueError) as error:
        raise InputValueError(f'{path}: not a mask proposal file '
                              f'({error})') from None
    if shape is not None and size[1:] != tuple(shape):
        raise InputValueError(
            f'{path}: masks of a {size[1]}x{size[2]} image, but the image '
            f'is {shape[0]}x{shape[1]}; the cache belongs to other data '
            '(make it again into an empty folder)')
    count = int(np.prod(size))
    return np.unpackbits(bits, count=count).reshape(size).astype(bool)


def build_mask_source(source: dict):
    """A registered mask source (``SuperpixelMasks``, ``SAMMasks``) from
    its config."""
    return MASK_SOURCES.build(dict(source))


def generate_mask_proposals(data_root: str,
                            split: str,
                            out_dir: str,
                            source: Union[dict, object],
                            images: Optional[Dict[str, str]] = None,
                            progress: bool = True,
                            overwrite: bool = False) -> int:
    """Cache the mask proposals of every image of ``split`` as
    ``<out_dir>/<id>.npz`` (bit-packed ``[M, H, W]``).

    They are the expensive part of a merge: each file is written
    atomically, a rerun writes only the missing ones, and the folder's
    manifest records the source's settings (SAM's checkpoint digest, the
    superpixel settings), so a cache of other settings is refused unless
    ``overwrite``.

    Args:
        data_root (str): Dataset root (VOC or COCO layout).
        split (str): Split whose images get masks.
        out_dir (str): The cache folder.
        source (dict | object): A mask source or its config.
        images (dict, optional): ``img_id -> path``; default the split's.
        progress (bool): Show progress.
        overwrite (bool): Start a cache of other settings over.

    Returns:
        int: Files written by this call.
    """
    if images is None:
        images = split_files(data_root, split).images
    if isinstance(source, dict):
        source = build_mask_source(source)
    ids = list(images)
    prepare_output_dir(
        out_dir,
        dict(source=source.settings(), data_root=osp.realpath(data_root),
             split=split, ids=fingerprint(dict(ids=sorted(ids)))),
        'mask proposals', overwrite=overwrite)
    remove_stale_tmp_files(out_dir)
    pending = [
        i for i in ids if not osp.isfile(osp.join(out_dir, i + MASK_SUFFIX))
    ]
    if progress and len(pending) < len(ids):
        print(f'{len(ids) - len(pending)} of {len(ids)} mask files are '
              f'already in {out_dir}; writing {len(pending)}')
    for img_id in pending:
        check_image_file(images[img_id])
    bar = ProgressBar(len(pending)) if progress and pending else None
    for img_id in pending:
        save_masks(osp.join(out_dir, img_id + MASK_SUFFIX),
                   source(read_rgb(images[img_id])))
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    return len(pending)


def read_input_label(img_id: str, labels_dir: Optional[str],
                     cam_dir: Optional[str], shape, cam_settings: dict,
                     num_classes: Optional[int]) -> np.ndarray:
    """The label to merge: a pseudo-label PNG, or the argmax of a CAM file
    over a background score (``cam_settings``: ``bg_mode``,
    ``bg_threshold``, ``alpha``)."""
    if labels_dir is not None:
        path = osp.join(labels_dir, img_id + '.png')
        label = load_label_png(path)
        if label.shape != tuple(shape):
            raise InputValueError(
                f'{path}: a {label.shape[0]}x{label.shape[1]} label of a '
                f'{shape[0]}x{shape[1]} image')
        return label
    cam = load_cam_file(
        osp.join(cam_dir, img_id + '.npy'), num_classes=num_classes,
        shape=tuple(shape))
    return label_from_cams(cam['high_res'], cam['keys'], **cam_settings)


def _merge_one(img_id, images, mask_dir, out_dir, labels_dir, cam_dir,
               cam_settings, num_classes, merge):
    with Image.open(images[img_id]) as image:
        shape = (image.height, image.width)
    masks = load_masks(osp.join(mask_dir, img_id + MASK_SUFFIX), shape)
    label = read_input_label(img_id, labels_dir, cam_dir, shape,
                             cam_settings, num_classes)
    save_palette_png(merge_label_with_masks(label, masks, **merge),
                     osp.join(out_dir, img_id + '.png'))
    return img_id


def generate_merged_labels(mask_dir: str,
                           data_root: str,
                           split: str,
                           out_dir: str,
                           labels_dir: Optional[str] = None,
                           cam_dir: Optional[str] = None,
                           cam_settings: Optional[dict] = None,
                           merge: Optional[dict] = None,
                           num_classes: Optional[int] = None,
                           images: Optional[Dict[str, str]] = None,
                           num_workers: int = 2,
                           progress: bool = True,
                           overwrite: bool = False) -> int:
    """Merge the pseudo labels (``labels_dir``) or CAM files (``cam_dir``)
    of a split with its cached mask proposals, into pseudo-label PNGs
    under the same contract (see :func:`merge_label_with_masks`).

    Every input file and mask file is checked to exist before any label is
    written; the folder's manifest records the inputs' fingerprints and
    the merge settings, and a rerun writes only the missing labels.

    Args:
        mask_dir (str): The mask cache of :func:`generate_mask_proposals`.
        data_root (str): Dataset root.
        split (str): Split to label.
        out_dir (str): Output folder of ``<id>.png``.
        labels_dir (str, optional): Pseudo labels to merge.
        cam_dir (str, optional): CAM files to merge instead, labelled by
            their argmax over ``cam_settings``' background.
        cam_settings (dict, optional): ``bg_mode``, ``bg_threshold``,
            ``alpha`` of :func:`label_from_cams` for ``cam_dir``.
        merge (dict, optional): Overrides of :data:`MERGE_DEFAULTS`.
        num_classes (int, optional): Foreground classes, to check CAM keys.
        images (dict, optional): ``img_id -> path``; default the split's.
        num_workers (int): Worker processes.
        progress (bool): Show progress.
        overwrite (bool): Start a folder of other settings over.

    Returns:
        int: Labels written by this call.
    """
    if (labels_dir is None) == (cam_dir is None):
        raise InputValueError('give the pseudo labels or the CAM files to '
                              'merge, one of the two')
    merge = dict(MERGE_DEFAULTS, **(merge or {}))
    unknown = set(merge) - set(MERGE_DEFAULTS)
    if unknown:
        raise InputValueError(f'unknown merge settings {sorted(unknown)}; '
                              f'known: {sorted(MERGE_DEFAULTS)}')
    cam_settings = dict(cam_settings or {})
    if images is None:
        images = split_files(data_root, split).images
    ids = list(images)
    require_files(mask_dir, ids, MASK_SUFFIX,
                  f'mask proposal files of split {split!r}',
                  '; make the mask proposals first')
    source_dir = labels_dir if labels_dir is not None else cam_dir
    require_files(source_dir, ids, '.png' if labels_dir else '.npy',
                  'pseudo labels' if labels_dir else 'CAM files')
    prepare_output_dir(
        out_dir,
        dict(
            merge=merge,
            masks=folder_fingerprint(mask_dir) or osp.realpath(mask_dir),
            labels=None if labels_dir is None else
            (folder_fingerprint(labels_dir) or osp.realpath(labels_dir)),
            cams=None if cam_dir is None else
            (folder_fingerprint(cam_dir) or osp.realpath(cam_dir)),
            cam_settings=cam_settings if cam_dir else None,
            data_root=osp.realpath(data_root),
            split=split,
            ids=fingerprint(dict(ids=sorted(ids)))),
        'merged pseudo labels', overwrite=overwrite)
    remove_stale_tmp_files(out_dir)
    pending = [i for i in ids if not osp.isfile(osp.join(out_dir,
                                                         i + '.png'))]
    if not pending:
        return 0
    work = partial(
        _merge_one,
        images=images,
        mask_dir=mask_dir,
        out_dir=out_dir,
        labels_dir=labels_dir,
        cam_dir=cam_dir,
        cam_settings=cam_settings,
        num_classes=num_classes,
        merge=merge)
    map_tasks(work, pending, num_workers, progress, [__name__])
    return len(pending)
