from .cams import init_cam_distributed, init_cam_model, make_cams
from .compare import compare_methods, format_comparison
from .config import load_config, resolve_config_path
from .model import default_device, init_model
from .pipeline import (METHODS, PRESETS, format_summary, run_method_seeds,
                       run_pipeline, run_seed_pipeline, train_and_test,
                       train_classifier)

__all__ = [
    'METHODS', 'PRESETS', 'compare_methods', 'default_device',
    'format_comparison', 'format_summary', 'init_cam_distributed',
    'init_cam_model', 'init_model', 'load_config', 'make_cams',
    'resolve_config_path', 'run_method_seeds', 'run_pipeline',
    'run_seed_pipeline', 'train_and_test', 'train_classifier'
]
