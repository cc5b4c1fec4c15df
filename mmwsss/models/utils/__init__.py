from .clip_checkpoint import convert_openai_clip
from .par import PAR
from .pair_geometry import path_offsets, search_directions, source_window

__all__ = [
    'PAR', 'convert_openai_clip', 'path_offsets', 'search_directions',
    'source_window'
]
