from .cams import (finish_distributed, init_cam_distributed, init_cam_model,
                   make_cams)
from .config import load_config, resolve_config_path
from .model import default_device, init_model
from .random_walk import (evaluate_boundary_map, make_sem_seg_labels,
                          random_walk_settings)
from .sec import make_sec_labels
from .train import train_and_test, with_rng_state

__all__ = [
    'default_device', 'evaluate_boundary_map', 'finish_distributed',
    'init_cam_distributed', 'init_cam_model', 'init_model', 'load_config',
    'make_cams', 'make_sec_labels', 'make_sem_seg_labels',
    'random_walk_settings', 'resolve_config_path', 'train_and_test',
    'with_rng_state'
]
