"""MS-COCO instance annotations: loading with clear errors, image-level
labels, and conversion to semantic label PNGs (80 classes + background)."""
import contextlib
import io
import json
import os
import os.path as osp
from functools import partial
from typing import TYPE_CHECKING, Dict, Optional

import numpy as np

from mmwsss.utils.progress import track_progress
from mmwsss.utils import save_palette_png
from mmwsss.utils.parallel import parallel_map
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError

if TYPE_CHECKING:
    from pycocotools.coco import COCO


def load_coco(ann_file: str) -> 'COCO':
    """Load an instances JSON with pycocotools; errors name the file."""
    from pycocotools.coco import COCO
    if not osp.isfile(ann_file):
        raise InputFileNotFoundError(f'annotation file not found: {ann_file}')
    try:
        with open(ann_file) as f:
            dataset = json.load(f)
    except json.JSONDecodeError as e:
        raise InputValueError(
            f'{ann_file}: the JSON does not parse: {e}') from None
    for key in ('images', 'annotations', 'categories'):
        if not isinstance(dataset.get(key), list):
            raise InputValueError(
                f'{ann_file}: an instances JSON needs a list '
                f'"{key}"')
    coco = COCO()
    coco.dataset = dataset
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints
        coco.createIndex()
    return coco


def coco_category_indices(coco: 'COCO') -> Dict[int, int]:
    """``category id -> class index`` (1..K in category-id order; 0 is the
    background), the mapping of ReCAM's COCO code."""
    return {cat: i + 1 for i, cat in enumerate(sorted(coco.getCatIds()))}


def coco_image_labels(coco: 'COCO',
                      ann_file: str = 'the annotation file'
                      ) -> Dict[int, np.ndarray]:
    """Multi-hot foreground labels of every image: ``image id -> float32
    [K]`` (every annotated category, crowd regions included)."""
    index = coco_category_indices(coco)
    num_classes = len(index)
    labels = {
        img_id: np.zeros(num_classes, np.float32)
        for img_id in coco.getImgIds()
    }
    for ann in coco.dataset['annotations']:
        if ann.get('category_id') not in index:
            raise InputValueError(
                f"{ann_file}: annotation {ann.get('id')} has "
                f"unknown category_id {ann.get('category_id')}")
        if ann.get('image_id') not in labels:
            raise InputValueError(
                f"{ann_file}: annotation {ann.get('id')} refers "
                f"to unknown image_id {ann.get('image_id')}")
        labels[ann['image_id']][index[ann['category_id']] - 1] = 1.0
    return labels


def coco_semantic_mask(coco: 'COCO',
                       img_id: int,
                       crowd_ignore: bool = False,
                       index: Optional[Dict[int, int]] = None) -> np.ndarray:
    """The semantic label map of one image: non-crowd instances painted in
    annotation order with their class index, 0 elsewhere; with
    ``crowd_ignore`` crowd regions not covered by an instance become 255.

    ``index`` is :func:`coco_category_indices`, computed here when not given
    (a conversion computes it once for all images).

    Returns:
        np.ndarray: ``[H, W]`` uint8.
    """
    index = index or coco_category_indices(coco)
    info = coco.imgs[img_id]
    label = np.zeros((info['height'], info['width']), np.uint8)
    anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
    if crowd_ignore:
        for ann in anns:
            if ann.get('iscrowd', 0):
                label[coco.annToMask(ann) > 0] = 255
    for ann in anns:
        if not ann.get('iscrowd', 0):
            label[coco.annToMask(ann) > 0] = index[ann['category_id']]
    return label


def _write_mask(img_id, coco, out_dir, crowd_ignore, index):
    stem = osp.splitext(coco.imgs[img_id]['file_name'])[0]
    save_palette_png(
        coco_semantic_mask(coco, img_id, crowd_ignore, index),
        osp.join(out_dir, stem + '.png'))
    return img_id


def convert_coco_masks(ann_file: str,
                       out_dir: str,
                       crowd_ignore: bool = False,
                       num_workers: int = 1) -> int:
    """Write ``<file stem>.png`` semantic masks (palette PNGs, 0-80) of every
    image of an instances JSON, atomically; existing files are kept, so an
    interrupted conversion resumes.

    Returns:
        int: Masks written by this call.
    """
    coco = load_coco(ann_file)
    os.makedirs(out_dir, exist_ok=True)
    pending = [
        i for i in sorted(coco.getImgIds()) if not osp.isfile(
            osp.join(out_dir,
                     osp.splitext(coco.imgs[i]['file_name'])[0] + '.png'))
    ]
    work = partial(_write_mask, coco=coco, out_dir=out_dir,
                   crowd_ignore=crowd_ignore,
                   index=coco_category_indices(coco))
    if num_workers > 1 and pending:
        parallel_map(work, pending, num_workers, preload=[__name__])
    elif pending:
        track_progress(work, pending)
    return len(pending)
