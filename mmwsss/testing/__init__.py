"""Slow, literal reference implementations of what mmwsss computes fast:
what ``tools/analysis_tools/benchmark.py`` measures the fast code against
and what tests can use as oracles."""
from .cam_reference import bare_forward_inputs, naive_cams
from .random_walk_reference import (dense_affinity, dense_irn_label_scores,
                                    dense_transition, dense_walk_scores,
                                    irn_labels, random_walk_inputs)

__all__ = [
    'bare_forward_inputs', 'dense_affinity', 'dense_irn_label_scores',
    'dense_transition', 'dense_walk_scores', 'irn_labels', 'naive_cams',
    'random_walk_inputs'
]
