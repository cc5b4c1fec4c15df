from .cam_head import CAMHead
from .recam_head import ReCAMHead

__all__ = ['CAMHead', 'ReCAMHead']
