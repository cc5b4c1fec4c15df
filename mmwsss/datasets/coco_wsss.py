import glob
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from mmseg.registry import DATASETS

from mmwsss.utils import image_size
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)
from .coco_annotations import coco_image_labels, load_coco
from .image_labels import format_ids, with_background
from .wsss_base import WSSSBaseDataset


def _category_names(coco) -> Tuple[str, ...]:
    """Category names in category-id order (classes 1..K)."""
    return tuple(c['name'] for c in coco.loadCats(sorted(coco.getCatIds())))


def _split_images(coco, labels: Dict[int, np.ndarray],
                  filter_empty: bool) -> Iterator[Tuple[int, str]]:
    """``(COCO image id, file name)`` of the images a split holds, in image
    id order; images without annotations are left out with
    ``filter_empty``."""
    for coco_id in sorted(coco.getImgIds()):
        if filter_empty and not labels[coco_id].any():
            continue
        yield coco_id, coco.imgs[coco_id]['file_name']


class _SplitIndex(NamedTuple):
    """What the layout lookups need of an instances JSON."""
    foreground: Tuple[str, ...]
    #: ``img_id`` (file stem) -> file name of every image, in id order.
    files: Dict[str, str]
    #: The ids the dataset holds (images with annotations).
    ids: List[str]


@lru_cache(maxsize=4)
def _load_split_index(ann_file: str, mtime_ns: int,
                      size: int) -> _SplitIndex:
    # mtime and size are in the key so that a rewritten JSON is re-read.
    coco = load_coco(ann_file)
    labels = coco_image_labels(coco, ann_file)
    files = {
        osp.splitext(name)[0]: name
        for _, name in _split_images(coco, labels, filter_empty=False)
    }
    ids = [
        osp.splitext(name)[0]
        for _, name in _split_images(coco, labels, filter_empty=True)
    ]
    return _SplitIndex(_category_names(coco), files, ids)


@DATASETS.register_module()
class WSSSCOCODataset(WSSSBaseDataset):
    """MS-COCO 2014 with image-level labels read from the instances JSON
    (via pycocotools), for weakly-supervised semantic segmentation.

    The 80 categories, ordered by category id, become classes 1..80 after
    background, as in ReCAM's COCO code. An image's label holds every
    category annotated in it (crowd regions included). Images without any
    annotation carry no class and are dropped unless ``filter_empty`` is
    off. Semantic masks (``tools/convert_coco.py``) or pseudo labels are
    read from ``seg_map_path/<file stem>.png`` where they exist; with
    ``require_seg_maps`` every image must have one of its size.

    Expected layout::

        data_root/train2014/COCO_train2014_000000000009.jpg
        data_root/annotations/instances_train2014.json
        data_root/SegmentationClass/train2014/COCO_train2014_000000000009.png

    Args:
        ann_file (str): Instances JSON relative to ``data_root``.
        data_prefix (dict): Image folder (``img_path``) and mask or pseudo
            label folder (``seg_map_path``).
        filter_empty (bool): Drop images without annotations.
        require_seg_maps (bool): Fail, naming the file, when a label PNG is
            missing or of another size than its image (training on pseudo
            labels).
        check_images (bool): Check every image's header when built.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(
                     img_path='train2014',
                     seg_map_path='SegmentationClass/train2014'),
                 filter_empty: bool = True,
                 require_seg_maps: bool = False,
                 check_images: bool = True,
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        self._check_data_root(data_root)
        path = ann_file if data_root is None or osp.isabs(ann_file) else \
            osp.join(data_root, ann_file)
        self.coco = load_coco(path)
        self.filter_empty_images = filter_empty
        self.require_seg_maps = require_seg_maps
        super().__init__(
            default_foreground=_category_names(self.coco),
            check_images=check_images,
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            data_root=data_root,
            **kwargs)

    @staticmethod
    def ann_file_of(split: str) -> str:
        """The instances JSON of ``split``, relative to the data root."""
        return osp.join('annotations', f'instances_{split}.json')

    @classmethod
    def split_settings(cls, split: str) -> dict:
        """Dataset settings of a COCO split such as ``'val2014'``."""
        return dict(
            ann_file=cls.ann_file_of(split),
            data_prefix=dict(
                img_path=split, seg_map_path=cls.default_mask_dir(split)))

    @classmethod
    def default_mask_dir(cls, split: Optional[str]) -> str:
        """``SegmentationClass/<split>`` (``tools/convert_coco.py``)."""
        return osp.join(cls.MASK_DIR, cls._need_split(split))

    @staticmethod
    def _need_split(split: Optional[str]) -> str:
        if not split:
            raise InputValueError(
                'a COCO-layout root keeps every split in its '
                'own folders: name the split (e.g. val2014)')
        return split

    @classmethod
    def _split_index(cls, data_root: str, split: str) -> _SplitIndex:
        path = osp.abspath(
            osp.join(data_root, cls.ann_file_of(cls._need_split(split))))
        if not osp.isfile(path):
            raise InputFileNotFoundError(f'annotation file not found: {path}')
        stat = os.stat(path)
        return _load_split_index(path, stat.st_mtime_ns, stat.st_size)

    @classmethod
    def is_layout_of(cls, data_root: str) -> bool:
        """Whether ``data_root`` has ``annotations/instances_*.json``."""
        return bool(cls._instance_files(data_root))

    @staticmethod
    def _instance_files(data_root: str) -> List[str]:
        return sorted(
            glob.glob(osp.join(glob.escape(data_root), 'annotations',
                               'instances_*.json')))

    @classmethod
    def check_layout(cls, data_root: str, splits: Sequence[str]) -> None:
        """Fail unless ``data_root`` has ``<split>/`` and
        ``annotations/instances_<split>.json`` of every split."""
        if not osp.isdir(data_root):
            raise InputFileNotFoundError(f'data root not found: {data_root}')
        required = []
        for split in splits:
            required += [split, cls.ann_file_of(split)]
        missing = [
            p for p in required if not osp.exists(osp.join(data_root, p))
        ]
        if missing:
            raise InputFileNotFoundError(
                f'{data_root} is not in COCO layout: missing {missing}')

    @classmethod
    def split_ids(cls, data_root: str, split: str) -> List[str]:
        """File stems of the split's annotated images, in image id order
        (the dataset's ``img_id``)."""
        return list(cls._split_index(data_root, split).ids)

    @classmethod
    def split_images(cls, data_root: str, split: str) -> Dict[str, str]:
        index = cls._split_index(data_root, split)
        return {
            img_id: osp.join(data_root, split, index.files[img_id])
            for img_id in index.ids
        }

    @classmethod
    def image_path(cls, data_root: str, split: Optional[str],
                   img_id: str) -> str:
        """``<split>/<file name>`` under ``data_root``, the file name from
        the split's instances JSON."""
        index = cls._split_index(data_root, split)
        if img_id not in index.files:
            raise InputKeyError(f'{img_id!r} is not an image of '
                                f'{cls.ann_file_of(split)} under {data_root}')
        return osp.join(data_root, split, index.files[img_id])

    @classmethod
    def class_names(cls,
                    data_root: str,
                    split: Optional[str] = None) -> Tuple[str, ...]:
        """Background, then the categories of the split's instances JSON in
        category-id order; without a split, those of the first
        ``annotations/instances_*.json`` (COCO's splits share them)."""
        if split is None:
            files = cls._instance_files(data_root)
            if not files:
                raise InputFileNotFoundError(
                    f'{data_root} has no annotations/instances_*.json')
            split = osp.basename(files[0])[len('instances_'):-len('.json')]
        return with_background(cls._split_index(data_root, split).foreground)

    def load_data_list(self) -> List[dict]:
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise InputFileNotFoundError(
                f'{self.ann_file}: image folder {img_dir} not found (expected '
                'the COCO layout train2014/, val2014/, annotations/)')
        seg_dir = self.data_prefix.get('seg_map_path')
        labels = coco_image_labels(self.coco, self.ann_file)
        data_list, missing = [], []
        for img_id, file_name in _split_images(self.coco, labels,
                                               self.filter_empty_images):
            img_labels = labels[img_id]
            stem = osp.splitext(file_name)[0]
            img_path = osp.join(img_dir, file_name)
            if not osp.isfile(img_path):
                missing.append(file_name)
                continue
            seg_map_path = None
            if seg_dir:
                candidate = osp.join(seg_dir, stem + self.seg_map_suffix)
                seg_map_path = candidate if osp.isfile(candidate) else None
            data_list.append(
                dict(
                    img_id=stem,
                    coco_id=img_id,
                    img_path=img_path,
                    seg_map_path=seg_map_path,
                    img_labels=img_labels,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        if missing:
            raise InputFileNotFoundError(
                f'{self.ann_file} lists {len(missing)} image(s) missing from '
                f'{img_dir}: {format_ids(missing)}')
        self._check_image_files(info['img_path'] for info in data_list)
        if self.require_seg_maps:
            self._check_seg_maps(data_list, seg_dir)
        return data_list

    def _check_seg_maps(self, data_list, seg_dir):
        absent = [i['img_id'] for i in data_list if i['seg_map_path'] is None]
        if absent:
            raise InputFileNotFoundError(
                f'{seg_dir}: {len(absent)} of {len(data_list)} label PNGs are '
                f'missing: {format_ids(absent)}')
        for info in data_list:
            height = self.coco.imgs[info['coco_id']]['height']
            width = self.coco.imgs[info['coco_id']]['width']
            size = image_size(info['seg_map_path'], 'label')
            if size != (width, height):
                raise InputValueError(
                    f"{info['seg_map_path']}: label is {size[0]}x{size[1]} "
                    f'but the image is {width}x{height}')
