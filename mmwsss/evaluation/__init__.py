from .seed_eval import (DEFAULT_THRESHOLDS, AreaAccumulator,
                        dataset_class_names, evaluate_seeds,
                        format_seed_table)

__all__ = [
    'DEFAULT_THRESHOLDS', 'AreaAccumulator', 'dataset_class_names',
    'evaluate_seeds', 'format_seed_table'
]
