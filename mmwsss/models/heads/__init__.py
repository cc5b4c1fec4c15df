from .affinity_head import AffinityHead
from .cam_head import CAMHead
from .image_label_enc_head import ImageLabelEncHead
from .irn_boundary_head import IRNBoundaryHead
from .recam_head import ReCAMHead

__all__ = [
    'AffinityHead', 'CAMHead', 'ImageLabelEncHead', 'IRNBoundaryHead',
    'ReCAMHead'
]
