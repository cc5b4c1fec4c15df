from .clip_checkpoint import convert_openai_clip
from .pair_geometry import path_offsets, search_directions, source_window

__all__ = [
    'convert_openai_clip', 'path_offsets', 'search_directions',
    'source_window'
]
