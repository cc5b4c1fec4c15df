from .cams import init_cam_model, make_cams
from .config import load_config, resolve_config_path
from .pipeline import (PRESETS, check_voc_layout, format_summary,
                       run_seed_pipeline, train_classifier)

__all__ = [
    'PRESETS', 'check_voc_layout', 'format_summary', 'init_cam_model',
    'load_config', 'make_cams', 'resolve_config_path', 'run_seed_pipeline',
    'train_classifier'
]
