from .checkpoint_fit import check_checkpoint_fits, load_fitting_checkpoint
from .cli import run_tool
from .image_files import image_size, open_image, read_rgb
from .io import (atomic_write, check_image_file, load_label_png,
                 remove_stale_tmp_files, require_files, save_json,
                 save_palette_png)
from .palette import voc_palette

__all__ = [
    'atomic_write', 'check_checkpoint_fits', 'check_image_file',
    'image_size', 'load_fitting_checkpoint', 'load_label_png', 'open_image',
    'read_rgb', 'remove_stale_tmp_files', 'require_files', 'run_tool',
    'save_json', 'save_palette_png', 'voc_palette'
]
