from .clip_checkpoint import convert_openai_clip
from .par import PAR
from .pair_geometry import path_offsets, search_directions, source_window
from .toco_checkpoint import convert_timm_vit, convert_toco
from .train_iteration import current_train_iter
from .weclip_checkpoint import convert_weclip

__all__ = [
    'PAR', 'convert_openai_clip', 'convert_timm_vit', 'convert_toco',
    'convert_weclip', 'current_train_iter', 'path_offsets',
    'search_directions', 'source_window'
]
