from .cli import run_tool
from .io import (atomic_write, check_image_file, load_label_png,
                 remove_stale_tmp_files, require_files, save_json,
                 save_palette_png)
from .palette import voc_palette

__all__ = [
    'atomic_write', 'check_image_file', 'load_label_png',
    'remove_stale_tmp_files', 'require_files', 'run_tool', 'save_json',
    'save_palette_png', 'voc_palette'
]
