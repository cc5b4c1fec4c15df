from mmwsss.datasets import dataset_class_names
from .pseudo_label_eval import (evaluate_pseudo_labels,
                                format_pseudo_label_table)
from .seed_eval import (DEFAULT_THRESHOLDS, AreaAccumulator, evaluate_seeds,
                        format_seed_table)

__all__ = [
    'DEFAULT_THRESHOLDS', 'AreaAccumulator', 'dataset_class_names',
    'evaluate_pseudo_labels', 'evaluate_seeds', 'format_pseudo_label_table',
    'format_seed_table'
]
