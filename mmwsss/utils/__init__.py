from .checkpoint_fit import check_checkpoint_fits, load_fitting_checkpoint
from .cli import add_overwrite_argument, run_tool
from .errors import (InputError, InputFileNotFoundError, InputKeyError,
                     InputNotADirectoryError, InputTypeError,
                     InputValueError, SettingsChangedError)
from .fingerprint import (changed_settings, describe_changes, file_digest,
                          fingerprint, flatten_settings, path_inside,
                          portable)
from .image_files import image_size, open_image, read_rgb
from .io import (atomic_write, check_image_file, load_label_png,
                 remove_stale_tmp_files, require_files, save_json,
                 save_palette_png)
from .output_manifest import (MANIFEST_NAME, clear_folder,
                              evaluation_is_current, folder_fingerprint,
                              prepare_output_dir, prepare_shared_output_dir,
                              read_manifest, save_evaluation)
from .palette import voc_palette
from .state_dict_file import load_state_dict_file, save_state_dict_file

__all__ = [
    'add_overwrite_argument', 'atomic_write', 'changed_settings',
    'check_checkpoint_fits', 'check_image_file', 'clear_folder',
    'describe_changes', 'evaluation_is_current', 'file_digest', 'fingerprint',
    'flatten_settings', 'folder_fingerprint', 'image_size', 'InputError',
    'InputFileNotFoundError', 'InputKeyError', 'InputNotADirectoryError',
    'InputTypeError', 'InputValueError', 'load_fitting_checkpoint',
    'load_label_png', 'load_state_dict_file', 'MANIFEST_NAME', 'open_image', 'path_inside', 'portable',
    'prepare_output_dir', 'prepare_shared_output_dir', 'read_manifest',
    'read_rgb', 'remove_stale_tmp_files', 'require_files', 'run_tool',
    'save_evaluation', 'save_json', 'save_palette_png', 'save_state_dict_file',
    'SettingsChangedError',
    'voc_palette'
]
