from .acol_head import ACoLHead
from .affinity_head import AffinityHead
from .aspp_v2_head import ASPPV2Head
from .cam_head import CAMHead
from .image_label_enc_head import ImageLabelEncHead
from .irn_boundary_head import IRNBoundaryHead
from .large_fov_head import LargeFOVHead
from .mdc_head import MDCHead
from .pixel_correlation_module import PixelCorrelationModule
from .recam_head import ReCAMHead
from .sec_head import SECHead
from .token_projection_head import TokenProjectionHead
from .weclip_decoder import WeCLIPHead

__all__ = [
    'ACoLHead', 'AffinityHead', 'ASPPV2Head', 'CAMHead', 'ImageLabelEncHead',
    'IRNBoundaryHead', 'LargeFOVHead', 'MDCHead', 'PixelCorrelationModule',
    'ReCAMHead', 'SECHead', 'TokenProjectionHead', 'WeCLIPHead'
]
