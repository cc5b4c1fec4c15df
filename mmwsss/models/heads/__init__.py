from .cam_head import CAMHead
from .image_label_enc_head import ImageLabelEncHead
from .recam_head import ReCAMHead

__all__ = ['CAMHead', 'ImageLabelEncHead', 'ReCAMHead']
