"""Pseudo labels merged with class-agnostic mask proposals (Chen et al.,
"Segment Anything Model (SAM) Enhanced Pseudo Labels for Weakly Supervised
Semantic Segmentation", 2023; cskyl/SAM_WSSS ``merge/max_iou_imp2.py``)."""
import numpy as np

from .labels import IGNORE_INDEX

#: SAM_WSSS's ``max_iou_imp2`` rule: a mask goes to a class when more than
#: ``mask_ratio`` of it lies in the class's label, or when it covers at least
#: ``label_coverage`` of that label.
MERGE_DEFAULTS = dict(mask_ratio=0.5, label_coverage=0.85, keep_ignore=True)


def merge_label_with_masks(label: np.ndarray,
                           masks: np.ndarray,
                           mask_ratio: float = 0.5,
                           label_coverage: float = 0.85,
                           keep_ignore: bool = True) -> np.ndarray:
    """SAM_WSSS's merge of a pseudo label with mask proposals.

    Classes are visited in ascending order; background (0) is never a
    class but what every pixel starts as. For class ``c`` with label region
    ``P``, every mask ``M`` that no lower class took is selected when
    ``|M & P| / |M| > mask_ratio`` or ``|M & P| / |P| >= label_coverage``,
    and is then taken. Pixels of ``P`` that no untaken mask touches keep
    ``c`` ("trust the CAM"); the selected masks and those pixels are
    written as ``c``, over what a lower class wrote. The order in which
    the masks come does not matter.

    SAM_WSSS's labels have no unsure pixels. ``keep_ignore`` keeps the
    255 of a label (a CRF's unsure pixels) where no selected mask covers
    it; ``False`` turns them into background, as the official rule does.

    Args:
        label (np.ndarray): ``[H, W]`` class indices, 0 background, 255
            unsure.
        masks (np.ndarray): ``[M, H, W]`` bool proposals (overlapping or
            not, covering the image or not).
        mask_ratio (float): Share of a mask inside the class's label above
            which it is selected (SAM_WSSS: 0.5, strict).
        label_coverage (float): Share of the class's label a mask must
            cover to be selected (SAM_WSSS: 0.85).
        keep_ignore (bool): Keep unsure pixels that no selected mask
            covers.

    Returns:
        np.ndarray: ``[H, W]`` labels, ``label``'s dtype.
    """
    if masks.shape[1:] != label.shape:
        raise ValueError(f'masks {masks.shape[1:]} and label {label.shape} '
                         'differ in size')
    masks = masks.reshape(len(masks), -1).astype(bool)
    flat = label.reshape(-1)
    merged = np.zeros_like(flat)
    if keep_ignore:
        merged[flat == IGNORE_INDEX] = IGNORE_INDEX
    areas = masks.sum(axis=1)
    free = np.ones(len(masks), dtype=bool)
    for cls in np.unique(flat):
        if cls == 0 or cls == IGNORE_INDEX:
            continue
        region = flat == cls
        inside = masks[:, region].sum(axis=1)
        selected = free & ((inside > mask_ratio * areas) |
                           (inside / region.sum() >= label_coverage))
        touched = masks[free].any(axis=0)
        merged[masks[selected].any(axis=0) | (region & ~touched)] = cls
        free &= ~selected
    return merged.reshape(label.shape)
