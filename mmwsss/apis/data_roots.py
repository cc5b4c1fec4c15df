"""What the stages need of a data root in its layout (VOC or COCO, see
:func:`~mmwsss.datasets.dataset_type_of`): its check before any work, its
number of classes, its split ids and the training sets of a split's pseudo
labels or true masks."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import ConfigDict

from mmwsss.datasets import (WSSSCOCODataset, WSSSVOCDataset,
                             dataset_class_names, dataset_type_of)


def check_data_root(data_root: str, splits: Sequence[str]) -> None:
    """Fail, naming what is missing, unless ``data_root`` holds the images
    and id lists of ``splits`` in its layout; a VOC-layout root also needs
    ``Annotations/`` (its image-level labels).

    Args:
        data_root (str): The dataset root.
        splits (Sequence[str]): The splits the stages read.
    """
    dataset_type = dataset_type_of(data_root)
    if dataset_type is WSSSVOCDataset:
        dataset_type.check_layout(data_root, splits, annotations=True)
    else:
        dataset_type.check_layout(data_root, splits)


def num_foreground_classes(data_root: str, split: str) -> int:
    """Foreground classes of ``data_root``: in VOC layout ``classes.txt``
    (else the 20 VOC classes), in COCO layout the categories of
    ``split``'s instances JSON."""
    return len(dataset_class_names(data_root, split=split)) - 1


def split_ids(data_root: str, split: str) -> List[str]:
    """Image ids of ``split`` in the layout of ``data_root``, in the
    dataset's order."""
    return dataset_type_of(data_root).split_ids(data_root, split)


def _coco_train_set(pipeline: list, data_root: str, split: str,
                    seg_map_dir: str) -> dict:
    """A COCO split with the label PNGs of ``seg_map_dir`` as its seg maps,
    each checked to exist at its image's size (as
    ``configs/_base_/datasets/coco14_pseudo.py``)."""
    settings = WSSSCOCODataset.split_settings(split)
    settings['data_prefix']['seg_map_path'] = seg_map_dir
    return dict(
        type='WSSSCOCODataset',
        data_root=data_root,
        require_seg_maps=True,
        pipeline=pipeline,
        **settings)


def pseudo_label_train_set(train_set: ConfigDict, data_root: str,
                           split: str, label_dir: str) -> ConfigDict:
    """A config's training set pointed at ``split`` of ``data_root`` with
    the pseudo labels of ``label_dir`` as ``gt_sem_seg``: in VOC layout the
    config's :class:`~mmwsss.datasets.PseudoLabelDataset`, updated in
    place; in COCO layout a :class:`~mmwsss.datasets.WSSSCOCODataset` of the
    split with the config's pipeline.

    Args:
        train_set (ConfigDict): The config's ``train_dataloader.dataset``.
        data_root (str): The dataset root.
        split (str): The split the labels are of.
        label_dir (str): Folder of the pseudo labels ``<img_id>.png``.

    Returns:
        ConfigDict: The training set to put in the config.
    """
    label_dir = osp.abspath(label_dir)
    if dataset_type_of(data_root) is WSSSVOCDataset:
        train_set.update(WSSSVOCDataset.split_settings(split))
        train_set.pseudo_label_dir = label_dir
        return train_set
    return ConfigDict(
        _coco_train_set(train_set.pipeline, data_root, split, label_dir))


def true_mask_train_set(train_set: ConfigDict,
                        data_root: str,
                        split: str,
                        mask_dir: Optional[str] = None) -> ConfigDict:
    """The training set of ``split`` of ``data_root`` with its true masks
    as ``gt_sem_seg``, with the pipeline of the config's ``train_set``.

    Args:
        train_set (ConfigDict): The config's ``train_dataloader.dataset``.
        data_root (str): The dataset root.
        split (str): The split.
        mask_dir (str, optional): Folder of the masks, relative to
            ``data_root`` or absolute. Default: the layout's
            (``SegmentationClass``; COCO: ``SegmentationClass/<split>``).

    Returns:
        ConfigDict: The training set to put in the config.
    """
    dataset_type = dataset_type_of(data_root)
    mask_dir = mask_dir or dataset_type.default_mask_dir(split)
    if dataset_type is WSSSVOCDataset:
        return ConfigDict(
            type='WSSSVOCDataset',
            data_root=data_root,
            ann_file=WSSSVOCDataset.split_settings(split)['ann_file'],
            data_prefix=dict(
                img_path=WSSSVOCDataset.IMG_DIR,
                seg_map_path=mask_dir,
                xml_path='Annotations'),
            pipeline=train_set.pipeline)
    return ConfigDict(
        _coco_train_set(train_set.pipeline, data_root, split, mask_dir))


#: The class-count keys of the models mmwsss trains, and what each counts
#: beyond the foreground classes (a segmentor's background).
CLASS_COUNT_KEYS = (('cam_head', 0), ('decode_head', 1), ('auxiliary_head', 1))


def fit_class_count(cfg: ConfigDict,
                    data_root: str,
                    set_by_user: Sequence[str] = ()) -> Dict[str, int]:
    """Set the model's class counts (:data:`CLASS_COUNT_KEYS`) to the
    classes of a data root in VOC layout (its ``classes.txt``, else the 20
    VOC classes), in place, except those in ``set_by_user``
    (``--cfg-options`` keys). COCO's configs state its 80 classes.

    Returns:
        dict: The keys set, with their values.
    """
    if dataset_type_of(data_root) is not WSSSVOCDataset:
        return {}
    num_classes = len(dataset_class_names(data_root)) - 1
    changed = {}
    for head, extra in CLASS_COUNT_KEYS:
        key = f'model.{head}.num_classes'
        node = cfg.model.get(head)
        if isinstance(node, dict) and 'num_classes' in node and \
                key not in set_by_user:
            node['num_classes'] = num_classes + extra
            changed[key] = num_classes + extra
    return changed
