from .adversarial_erasing import run_adversarial_erasing
from .cams import (finish_distributed, init_cam_distributed, init_cam_model,
                   make_cams)
from .compare import compare_methods, format_comparison
from .config import load_config, resolve_config_path
from .model import default_device, init_model
from .pipeline import (BG_RULES, METHODS, PRESETS, REFINE_CHOICES,
                       REFINEMENTS, format_summary,
                       run_method_seeds, run_pipeline, run_pseudo_labels,
                       run_seed_pipeline, train_and_test, train_classifier)
from .random_walk import (evaluate_boundary_map, make_sem_seg_labels,
                          random_walk_settings)
from .sec import make_sec_labels, run_sec_seeds
from .stages import (ON_CHANGE_CHOICES, add_on_change_argument,
                     interrupted_stages, set_on_change, set_verbose,
                     with_rng_state)

__all__ = [
    'BG_RULES', 'METHODS', 'ON_CHANGE_CHOICES', 'PRESETS', 'REFINE_CHOICES',
    'REFINEMENTS',
    'add_on_change_argument', 'compare_methods', 'default_device',
    'evaluate_boundary_map',
    'finish_distributed', 'format_comparison', 'format_summary',
    'init_cam_distributed', 'init_cam_model', 'init_model',
    'interrupted_stages', 'load_config', 'make_cams', 'make_sec_labels',
    'make_sem_seg_labels', 'random_walk_settings', 'run_adversarial_erasing',
    'run_pseudo_labels', 'run_sec_seeds', 'resolve_config_path',
    'run_method_seeds', 'run_pipeline', 'run_seed_pipeline', 'set_on_change',
    'set_verbose', 'train_and_test', 'train_classifier', 'with_rng_state'
]
