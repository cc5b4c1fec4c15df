"""Readers of the VOC layout and of image-level labels: VOC XML
annotations and IRN's ``cls_labels.npy``."""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmwsss.utils.errors import InputFileNotFoundError, InputValueError

VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')

#: Name of class 0, which every label map has before its foreground classes.
BACKGROUND = 'background'


def read_class_names(path: str) -> Tuple[str, ...]:
    """Read foreground class names, one a line, from ``classes.txt``."""
    with open(path) as f:
        names = [line.strip() for line in f if line.strip()]
    if not names:
        raise InputValueError(f'{path}: no class names found')
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputValueError(f'{path}: class names repeat: {duplicates}')
    if BACKGROUND in names:
        raise InputValueError(
            f'{path}: list only foreground classes; background is class 0 '
            'implicitly')
    return tuple(names)


def foreground_class_names(data_root: Optional[str],
                           classes_file: str = 'classes.txt'
                           ) -> Tuple[str, ...]:
    """Foreground class names of a VOC-layout root: ``classes.txt`` when it
    exists, else the 20 VOC classes."""
    path = osp.join(data_root or '', classes_file)
    return read_class_names(path) if osp.isfile(path) else VOC_CLASSES


def with_background(foreground: Sequence[str]) -> Tuple[str, ...]:
    """All class names of a label map: background, then ``foreground``."""
    return (BACKGROUND, ) + tuple(foreground)


def split_file(split: str, data_root: str = '') -> str:
    """Path of a split's id list in VOC layout:
    ``ImageSets/Segmentation/<split>.txt`` (under ``data_root``)."""
    return osp.join(data_root, 'ImageSets', 'Segmentation', split + '.txt')


def check_voc_layout(data_root: str,
                     splits: Sequence[str],
                     annotations: bool = True) -> None:
    """Fail early, naming what is missing, if ``data_root`` is not in VOC
    layout: ``JPEGImages/``, ``Annotations/`` (when ``annotations``) and
    ``ImageSets/Segmentation/<split>.txt`` of every split."""
    if not osp.isdir(data_root):
        raise InputFileNotFoundError(f'data root not found: {data_root}')
    required = ['JPEGImages'] + (['Annotations'] if annotations else []) + [
        split_file(s) for s in splits
    ]
    missing = [p for p in required if not osp.exists(osp.join(data_root, p))]
    if missing:
        raise InputFileNotFoundError(
            f'{data_root} is not in PASCAL VOC layout: missing {missing}')


def format_ids(ids: Sequence[str], limit: int = 5) -> str:
    """The first ``limit`` of ``ids`` and how many more, for messages."""
    more = f' and {len(ids) - limit} more' if len(ids) > limit else ''
    return f'{list(ids[:limit])}{more}'


def read_split_ids(path: str) -> List[str]:
    """Read image ids from a split file (first token of each line)."""
    if not osp.isfile(path):
        raise InputFileNotFoundError(f'split file not found: {path}')
    with open(path) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    if not ids:
        raise InputValueError(f'{path}: the split file lists no image ids')
    return ids


def labels_from_xml(xml_path: str,
                    class_names: Sequence[str]) -> np.ndarray:
    """Multi-hot foreground labels from the ``<object><name>`` entries of a
    VOC XML annotation (``<part>`` names inside an object are not objects).

    Returns:
        np.ndarray: float32 ``[num_classes]`` multi-hot vector.
    """
    try:
        root = ET.parse(xml_path).getroot()
    except FileNotFoundError:
        raise InputFileNotFoundError(
            f'annotation file not found: {xml_path}') from None
    except ET.ParseError as e:
        raise InputValueError(
            f'{xml_path}: the XML does not parse: {e}') from None
    labels = np.zeros(len(class_names), dtype=np.float32)
    for obj in root.findall('object'):
        name_el = obj.find('name')
        if name_el is None or not (name_el.text or '').strip():
            raise InputValueError(f'{xml_path}: an <object> has no <name>')
        name = name_el.text.strip()
        if name not in class_names:
            raise InputValueError(
                f'{xml_path}: object name {name!r} is not one of the '
                f'{len(class_names)} classes {list(class_names)}')
        labels[class_names.index(name)] = 1.0
    return labels


def _irn_int_id(img_id):
    """IRN stores VOC ids such as '2007_000032' as the int 2007000032."""
    digits = img_id.replace('_', '')
    return int(digits) if digits.isdigit() else None


def load_cls_labels(npy_path: str, img_ids: Sequence[str],
                    num_classes: int) -> Dict[str, np.ndarray]:
    """Multi-hot labels for ``img_ids`` from an IRN-style ``cls_labels.npy``
    (a pickled dict from image id, as string or IRN int, to a vector).

    Returns:
        dict: ``img_id -> float32 [num_classes]``.
    """
    if not osp.isfile(npy_path):
        raise InputFileNotFoundError(f'label file not found: {npy_path}')
    try:
        table = np.load(npy_path, allow_pickle=True).item()
    except Exception as e:
        raise InputValueError(
            f'{npy_path}: expected a pickled dict of image id -> label '
            f'vector ({type(e).__name__}: {e})') from None
    if not isinstance(table, dict):
        raise InputValueError(f'{npy_path}: expected a dict, got '
                              f'{type(table).__name__}')
    keys = {}
    for img_id in img_ids:
        key = img_id if img_id in table else _irn_int_id(img_id)
        if key in table:
            keys[img_id] = key
    missing = [i for i in img_ids if i not in keys]
    if missing:
        raise InputValueError(
            f'{npy_path} disagrees with the split: no labels for '
            f'{len(missing)} of its {len(img_ids)} ids: {format_ids(missing)}')
    labels = {}
    for img_id, key in keys.items():
        vector = np.asarray(table[key], dtype=np.float32).reshape(-1)
        if vector.shape[0] != num_classes:
            raise InputValueError(
                f'{npy_path}: labels of {img_id!r} have {vector.shape[0]} '
                f'entries, expected {num_classes} (one per foreground class)')
        labels[img_id] = (vector > 0).astype(np.float32)
    return labels
