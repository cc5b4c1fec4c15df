from mmwsss.models.utils.cam_inference import (cams_to_label, multi_scale_cams,
                                               normalize_cams)
from .cam_file import (CAM_STRIDE, load_cam_file, save_cam_file, strided_cams,
                       strided_size, validate_cam_dict)
from .gradcam import GradCAM

__all__ = [
    'CAM_STRIDE', 'GradCAM', 'cams_to_label', 'load_cam_file',
    'multi_scale_cams', 'normalize_cams', 'save_cam_file', 'strided_cams',
    'strided_size', 'validate_cam_dict'
]
