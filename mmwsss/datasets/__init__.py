from .coco_annotations import (coco_image_labels, coco_semantic_mask,
                               convert_coco_masks, load_coco)
from .coco_wsss import WSSSCOCODataset
from .demo_data import DEMO_CLASSES, make_demo_dataset, render_demo_image
from .image_labels import (BACKGROUND, VOC_CLASSES, check_voc_layout,
                           foreground_class_names, labels_from_xml,
                           load_cls_labels, read_class_names, read_split_ids,
                           split_file, with_background)
from .layout import (SplitFiles, dataset_class_names, dataset_type_of,
                     split_files)
from .pseudo_label_dataset import PseudoLabelDataset
from .split_dataset import apply_split, build_split_dataset
from .transforms import HideAndSeek, PackWSSSInputs
from .wsss_base import WSSSBaseDataset
from .wsss_voc import WSSSVOCDataset

__all__ = [
    'WSSSCOCODataset', 'coco_image_labels', 'coco_semantic_mask',
    'convert_coco_masks', 'load_coco',
    'DEMO_CLASSES', 'VOC_CLASSES', 'HideAndSeek', 'PackWSSSInputs',
    'PseudoLabelDataset', 'WSSSBaseDataset', 'WSSSVOCDataset', 'apply_split',
    'build_split_dataset', 'check_voc_layout',
    'BACKGROUND', 'foreground_class_names', 'with_background',
    'dataset_class_names', 'dataset_type_of', 'SplitFiles', 'split_files',
    'labels_from_xml', 'load_cls_labels', 'make_demo_dataset',
    'read_class_names', 'read_split_ids', 'render_demo_image', 'split_file'
]
