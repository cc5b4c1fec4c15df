from .clip_checkpoint import convert_openai_clip
from .par import PAR
from .pair_geometry import path_offsets, search_directions, source_window
from .train_iteration import current_train_iter

__all__ = [
    'PAR', 'convert_openai_clip', 'current_train_iter', 'path_offsets', 'search_directions',
    'source_window'
]
