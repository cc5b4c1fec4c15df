from .cam_file import load_cam_file, save_cam_file, validate_cam_dict
from .gradcam import GradCAM
from .inference import cams_to_label, multi_scale_cams, normalize_cams

__all__ = [
    'GradCAM', 'cams_to_label', 'load_cam_file', 'multi_scale_cams',
    'normalize_cams', 'save_cam_file', 'validate_cam_dict'
]
