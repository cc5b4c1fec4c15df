import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmseg.registry import DATASETS

from mmwsss.utils.errors import InputFileNotFoundError, InputValueError

from .image_labels import (check_voc_layout, foreground_class_names,
                           format_ids, labels_from_xml, load_cls_labels,
                           read_split_ids, split_file, with_background)
from .wsss_base import WSSSBaseDataset


@DATASETS.register_module()
class WSSSVOCDataset(WSSSBaseDataset):
    """A dataset in PASCAL VOC 2012 layout with image-level labels, for
    weakly-supervised semantic segmentation.

    Every sample carries ``img_labels``, a multi-hot float32 vector over the
    foreground classes, read from ``Annotations/<id>.xml`` (one ``<object>``
    per instance) or from an IRN-style ``cls_labels.npy``. Ground-truth
    masks are optional: ``seg_map_path`` is ``None`` for an id whose PNG does
    not exist, so a split without masks still trains, and a split with masks
    can be evaluated with ``IoUMetric``.

    Class names come from ``metainfo['classes']`` (background first), else
    ``classes.txt`` at the data root (foreground only), else the 20 VOC
    classes. Works unchanged on VOC2012 with ``SegmentationClassAug`` and
    ``train_aug.txt``.

    Inputs are checked when the dataset is built, before any long job:
    the folders of the layout exist, every listed id has an image whose
    header reads (and, for a JPEG, is not truncated), labels exist for
    every id, and with ``require_foreground`` every image has a class.
    Errors name the file and what is wrong.

    Args:
        ann_file (str): Split file, one image id a line, relative to
            ``data_root``.
        data_prefix (dict): Folders of images (``img_path``), masks
            (``seg_map_path``) and XML annotations (``xml_path``).
        label_source (str): ``'xml'`` or ``'npy'``.
        cls_labels_file (str, optional): The ``cls_labels.npy`` used when
            ``label_source='npy'``, relative to ``data_root``.
        classes_file (str): Class names file relative to ``data_root``.
        require_foreground (bool): Fail on images without any foreground
            label (a classifier learns nothing from them; usually a wrong
            split or annotation folder). Set for training splits.
        check_images (bool): Open every image's header when built.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset`.
    """
    #: Folder of the images under the data root, and their suffix.
    IMG_DIR = 'JPEGImages'
    IMG_SUFFIX = '.jpg'

    def __init__(self,
                 ann_file: str,
                 data_prefix: dict = dict(
                     img_path='JPEGImages',
                     seg_map_path='SegmentationClass',
                     xml_path='Annotations'),
                 label_source: str = 'xml',
                 cls_labels_file: Optional[str] = None,
                 classes_file: str = 'classes.txt',
                 require_foreground: bool = False,
                 check_images: bool = True,
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 **kwargs) -> None:
        if label_source not in ('xml', 'npy'):
            raise InputValueError(f"label_source must be 'xml' or 'npy', got "
                                  f'{label_source!r}')
        if label_source == 'npy' and not cls_labels_file:
            raise InputValueError("label_source='npy' needs cls_labels_file")
        self._check_data_root(data_root)
        self.label_source = label_source
        self.cls_labels_file = cls_labels_file
        self.require_foreground = require_foreground
        default_foreground = () if (metainfo or {}).get('classes') else \
            foreground_class_names(data_root, classes_file)
        super().__init__(
            default_foreground=default_foreground,
            check_images=check_images,
            ann_file=ann_file,
            data_prefix=data_prefix,
            metainfo=metainfo,
            data_root=data_root,
            **kwargs)

    @classmethod
    def split_settings(cls, split: str) -> dict:
        """Dataset settings of a split: its ``ImageSets`` file."""
        return dict(ann_file=split_file(split))

    @classmethod
    def is_layout_of(cls, data_root: str) -> bool:
        """Whether ``data_root`` has VOC's ``ImageSets/Segmentation/`` or
        ``JPEGImages/``."""
        return osp.isdir(osp.join(data_root, 'ImageSets', 'Segmentation')) \
            or osp.isdir(osp.join(data_root, cls.IMG_DIR))

    @classmethod
    def check_layout(cls,
                     data_root: str,
                     splits: Sequence[str],
                     annotations: bool = False) -> None:
        """Fail unless ``data_root`` has ``JPEGImages/`` and the split files
        of ``splits`` (and ``Annotations/`` with ``annotations``): see
        :func:`~mmwsss.datasets.check_voc_layout`."""
        check_voc_layout(data_root, splits, annotations=annotations)

    @classmethod
    def split_ids(cls, data_root: str, split: str) -> List[str]:
        """The ids of ``ImageSets/Segmentation/<split>.txt``."""
        return read_split_ids(split_file(split, data_root))

    @classmethod
    def split_images(cls, data_root: str, split: str) -> Dict[str, str]:
        return {
            img_id: cls.image_path(data_root, split, img_id)
            for img_id in cls.split_ids(data_root, split)
        }

    @classmethod
    def image_path(cls, data_root: str, split: Optional[str],
                   img_id: str) -> str:
        """``JPEGImages/<img_id>.jpg`` under ``data_root`` (any split)."""
        return osp.join(data_root, cls.IMG_DIR, img_id + cls.IMG_SUFFIX)

    @classmethod
    def class_names(cls,
                    data_root: str,
                    split: Optional[str] = None,
                    classes_file: str = 'classes.txt') -> Tuple[str, ...]:
        """Background, then the names of ``classes_file`` (else the 20 VOC
        classes); every split has the same."""
        return with_background(foreground_class_names(data_root,
                                                      classes_file))

    def _layout_error(self, folder):
        return FileNotFoundError(
            f'{self.data_root or "."} is not in PASCAL VOC layout: {folder} '
            'is not a folder (expected JPEGImages/, Annotations/ and '
            'ImageSets/Segmentation/<split>.txt)')

    def _check_layout(self):
        img_dir = self.data_prefix['img_path']
        if not osp.isdir(img_dir):
            raise self._layout_error(img_dir)
        xml_dir = self.data_prefix.get('xml_path')
        if self.label_source == 'xml' and not (xml_dir and osp.isdir(xml_dir)):
            raise self._layout_error(xml_dir)

    def _check_images(self, img_ids, img_paths):
        missing = [i for i, p in zip(img_ids, img_paths) if not osp.isfile(p)]
        if missing:
            raise InputFileNotFoundError(
                f'{self.ann_file} lists {len(missing)} id(s) with no image in '
                f"{self.data_prefix['img_path']}: {format_ids(missing)}")
        self._check_image_files(img_paths)

    def _check_foreground(self, img_ids, labels):
        empty = [i for i, label in zip(img_ids, labels) if not label.any()]
        if empty:
            source = self.cls_labels_file if self.label_source == 'npy' \
                else self.data_prefix.get('xml_path')
            raise InputValueError(
                f'{self.ann_file}: {len(empty)} image(s) have no foreground '
                f'label in {source}: {format_ids(empty)}; a training split '
                'needs a class in every image (remove them from the split or '
                'fix their annotations)')

    def load_data_list(self) -> List[dict]:
        self._check_layout()
        img_ids = read_split_ids(self.ann_file)
        classes = self.foreground_classes
        img_dir = self.data_prefix['img_path']
        img_paths = [osp.join(img_dir, i + self.img_suffix) for i in img_ids]
        self._check_images(img_ids, img_paths)
        if self.label_source == 'npy':
            path = self.cls_labels_file
            if self.data_root and not osp.isabs(path):
                path = osp.join(self.data_root, path)
            npy_labels = load_cls_labels(path, img_ids, len(classes))
            labels = [npy_labels[i] for i in img_ids]
        else:
            xml_dir = self.data_prefix['xml_path']
            labels = [
                labels_from_xml(osp.join(xml_dir, i + '.xml'), classes)
                for i in img_ids
            ]
        if self.require_foreground:
            self._check_foreground(img_ids, labels)
        seg_dir = self.data_prefix.get('seg_map_path')
        data_list = []
        for img_id, img_path, img_labels in zip(img_ids, img_paths, labels):
            seg_map_path = None
            if seg_dir:
                candidate = osp.join(seg_dir, img_id + self.seg_map_suffix)
                seg_map_path = candidate if osp.isfile(candidate) else None
            data_list.append(
                dict(
                    img_id=img_id,
                    img_path=img_path,
                    seg_map_path=seg_map_path,
                    img_labels=img_labels,
                    label_map=self.label_map,
                    reduce_zero_label=self.reduce_zero_label,
                    seg_fields=[]))
        return data_list
