"""Which dataset type a data root is laid out for, and the files of one of
its splits: what the tools that read a data root (with or without a
config) need besides CAMs."""
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Tuple, Type

from mmengine.config import Config

from .coco_wsss import WSSSCOCODataset
from .split_dataset import build_split_dataset
from .wsss_base import WSSSBaseDataset
from .wsss_voc import WSSSVOCDataset


def dataset_type_of(data_root: str) -> Type[WSSSBaseDataset]:
    """The dataset type whose layout ``data_root`` has:
    :class:`WSSSCOCODataset` where it has ``annotations/instances_*.json``
    and nothing of VOC's, else :class:`WSSSVOCDataset` (whose layout errors
    then say what is missing)."""
    if WSSSCOCODataset.is_layout_of(data_root) and \
            not WSSSVOCDataset.is_layout_of(data_root):
        return WSSSCOCODataset
    return WSSSVOCDataset


def dataset_class_names(data_root: str,
                        classes_file: str = 'classes.txt',
                        split: Optional[str] = None) -> Tuple[str, ...]:
    """All class names of a data root, background first: in VOC layout
    ``classes_file`` (else the 20 VOC classes), in COCO layout the
    categories of the split's instances JSON."""
    dataset_type = dataset_type_of(data_root)
    if dataset_type is WSSSVOCDataset:
        return WSSSVOCDataset.class_names(data_root, split, classes_file)
    return dataset_type.class_names(data_root, split)


class SplitFiles(NamedTuple):
    """The files of one split of a data root.

    Attributes:
        split (str): The split.
        images (dict): ``img_id -> image path``, in the split's order.
        mask_dir (str): Folder of the true masks ``<img_id>.png`` (absolute;
            it may not exist).
        class_names (tuple[str]): All classes, background first.
    """
    split: str
    images: Dict[str, str]
    mask_dir: str
    class_names: Tuple[str, ...]

    @property
    def ids(self) -> List[str]:
        """The split's image ids, in order."""
        return list(self.images)


def split_files(data_root: str,
                split: str,
                cfg: Optional[Config] = None) -> SplitFiles:
    """The files of ``split``: from the test dataset of ``cfg`` built on
    it (see :func:`build_split_dataset`), or without a config from the
    layout of ``data_root`` (see :func:`dataset_type_of`), which is checked
    first. Both give the same files for a data root in its dataset type's
    default layout.
    """
    if cfg is not None:
        dataset = build_split_dataset(cfg, split, data_root)
        infos = [dataset.get_data_info(i) for i in range(len(dataset))]
        return SplitFiles(
            split=split,
            images={info['img_id']: info['img_path']
                    for info in infos},
            mask_dir=osp.abspath(dataset.data_prefix['seg_map_path']),
            class_names=tuple(dataset.metainfo['classes']))
    dataset_type = dataset_type_of(data_root)
    dataset_type.check_layout(data_root, [split])
    return SplitFiles(
        split=split,
        images=dataset_type.split_images(data_root, split),
        mask_dir=osp.abspath(dataset_type.true_mask_dir(data_root, split)),
        class_names=dataset_type.class_names(data_root, split))
