import os.path as osp
from typing import Optional

from mmseg.datasets import BaseSegDataset
from mmseg.registry import DATASETS
from PIL import Image

from mmwsss.utils import check_image_file, voc_palette
from .coco_annotations import coco_image_labels, load_coco
from .image_labels import format_ids


@DATASETS.register_module()
class WSSSCOCODataset(BaseSegDataset):
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
    METAINFO = dict()

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
                 **kwargs):
        if data_root is not None and not osp.isdir(data_root):
            raise FileNotFoundError(f'data_root is not a directory: '
                                    f'{data_root}')
        path = ann_file if data_root is None or osp.isabs(ann_file) else \
            osp.join(data_root, ann_file)
        self.coco = load_coco(path)
        self.filter_empty_images = filter_empty
        self.require_seg_maps = require_seg_maps
        self.check_images = check_images
        names = tuple(c['name'] for c in self.coco.loadCats(
            sorted(self.coco.getCatIds())))
        metainfo = dict(metainfo or {})
        metainfo.setdefault('classes', ('background', ) + names)
        metainfo.setdefault('palette',
                            voc_palette(len(metainfo['classes'])).tolist())
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            data_root=data_root,
            **kwargs)

    @classmethod
    def split_settings(cls, split):
        """Dataset settings of a COCO split such as ``'val2014'``."""
        return dict(
            ann_file=osp.join('annotations', f'instances_{split}.json'),
            data_prefix=dict(
                img_path=split,
                seg_map_path=osp.join('SegmentationClass', split)))

    @property
    def foreground_classes(self):
        return tuple(self.metainfo['classes'][1:])

    def load_data_list(self):
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'{self.ann_file}: image folder {img_dir} not found (expected '
                'the COCO layout train2014/, val2014/, annotations/)')
        seg_dir = self.data_prefix.get('seg_map_path')
        labels = coco_image_labels(self.coco, self.ann_file)
        data_list, missing = [], []
        for img_id in sorted(self.coco.getImgIds()):
            img_labels = labels[img_id]
            if self.filter_empty_images and not img_labels.any():
                continue
            file_name = self.coco.imgs[img_id]['file_name']
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
            raise FileNotFoundError(
                f'{self.ann_file} lists {len(missing)} image(s) missing from '
                f'{img_dir}: {format_ids(missing)}')
        if self.check_images:
            for info in data_list:
                check_image_file(info['img_path'])
        if self.require_seg_maps:
            self._check_seg_maps(data_list, seg_dir)
        return data_list

    def _check_seg_maps(self, data_list, seg_dir):
        absent = [i['img_id'] for i in data_list if i['seg_map_path'] is None]
        if absent:
            raise FileNotFoundError(
                f'{seg_dir}: {len(absent)} of {len(data_list)} label PNGs are '
                f'missing: {format_ids(absent)}')
        for info in data_list:
            height = self.coco.imgs[info['coco_id']]['height']
            width = self.coco.imgs[info['coco_id']]['width']
            with Image.open(info['seg_map_path']) as label:
                if label.size != (width, height):
                    raise ValueError(
                        f"{info['seg_map_path']}: label is "
                        f'{label.size[0]}x{label.size[1]} but the image is '
                        f'{width}x{height}')
