from .crf import CRF_DEFAULTS, crf_refine_labels
from .generate import generate_pseudo_labels, pseudo_label_for
from .labels import (IGNORE_INDEX, background_score, confident_region_label,
                     label_from_cams)

__all__ = [
    'CRF_DEFAULTS', 'IGNORE_INDEX', 'background_score',
    'confident_region_label', 'crf_refine_labels', 'generate_pseudo_labels',
    'label_from_cams', 'pseudo_label_for'
]
