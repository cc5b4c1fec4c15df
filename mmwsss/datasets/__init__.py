from .coco_annotations import (coco_image_labels, coco_semantic_mask,
                               convert_coco_masks, load_coco)
from .coco_wsss import WSSSCOCODataset
from .demo_data import DEMO_CLASSES, make_demo_dataset, render_demo_image
from .image_labels import (VOC_CLASSES, check_voc_layout,
                           foreground_class_names, labels_from_xml,
                           load_cls_labels, read_class_names, read_split_ids,
                           split_file)
from .pseudo_label_dataset import PseudoLabelDataset
from .split_dataset import apply_split, build_split_dataset
from .transforms import HideAndSeek, PackWSSSInputs
from .wsss_voc import WSSSVOCDataset

__all__ = [
    'WSSSCOCODataset', 'coco_image_labels', 'coco_semantic_mask',
    'convert_coco_masks', 'load_coco',
    'DEMO_CLASSES', 'VOC_CLASSES', 'HideAndSeek', 'PackWSSSInputs',
    'PseudoLabelDataset', 'WSSSVOCDataset', 'apply_split',
    'build_split_dataset', 'check_voc_layout',
    'foreground_class_names',
    'labels_from_xml', 'load_cls_labels', 'make_demo_dataset',
    'read_class_names', 'read_split_ids', 'render_demo_image', 'split_file'
]
