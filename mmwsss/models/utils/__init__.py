from .pair_geometry import path_offsets, search_directions, source_window

__all__ = ['path_offsets', 'search_directions', 'source_window']
