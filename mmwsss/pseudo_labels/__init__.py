from .crf import (CRF_DEFAULTS, PSA_CRF_DEFAULTS, crf_refine_labels,
                  crf_refine_scores)
from .generate import generate_pseudo_labels, load_saliency, pseudo_label_for
from .labels import (CLIP_ES_CRF, IGNORE_INDEX, SALIENCY_DEFAULTS,
                     background_score, confident_crf_label,
                     confident_region_label, label_from_cams,
                     psa_affinity_label, saliency_label)
from .par_labels import PAR_LABEL_DEFAULTS, par_label
from .random_walk_labels import (RANDOM_WALK_DEFAULTS,
                                 check_random_walk_settings,
                                 generate_random_walk_labels)
from .settings import (PSEUDO_LABEL_DEFAULTS, find_seed_eval, format_sources,
                       resolve_pseudo_label_settings, seed_eval_path)

__all__ = [
    'PAR_LABEL_DEFAULTS', 'par_label',
    'CLIP_ES_CRF', 'CRF_DEFAULTS', 'PSA_CRF_DEFAULTS',
    'confident_crf_label', 'IGNORE_INDEX', 'crf_refine_scores',
    'psa_affinity_label', 'background_score',
    'confident_region_label', 'crf_refine_labels', 'generate_pseudo_labels',
    'label_from_cams', 'pseudo_label_for', 'RANDOM_WALK_DEFAULTS',
    'check_random_walk_settings', 'generate_random_walk_labels',
    'SALIENCY_DEFAULTS', 'load_saliency', 'saliency_label',
    'PSEUDO_LABEL_DEFAULTS', 'find_seed_eval', 'format_sources',
    'resolve_pseudo_label_settings', 'seed_eval_path'
]
