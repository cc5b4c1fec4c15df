from .crf import (CRF_DEFAULTS, PSA_CRF_DEFAULTS, crf_refine_labels,
                  crf_refine_scores)
from .generate import generate_pseudo_labels, pseudo_label_for
from .labels import (IGNORE_INDEX, background_score, confident_region_label,
                     label_from_cams, psa_affinity_label)
from .random_walk_labels import (RANDOM_WALK_DEFAULTS,
                                 check_random_walk_settings,
                                 generate_random_walk_labels)

__all__ = [
    'CRF_DEFAULTS', 'PSA_CRF_DEFAULTS', 'IGNORE_INDEX', 'crf_refine_scores',
    'psa_affinity_label', 'background_score',
    'confident_region_label', 'crf_refine_labels', 'generate_pseudo_labels',
    'label_from_cams', 'pseudo_label_for', 'RANDOM_WALK_DEFAULTS',
    'check_random_walk_settings', 'generate_random_walk_labels'
]
