from .cam_classifier import CAMClassifier
from .cse_classifier import CSEClassifier
from .irn import IRNBoundaryNet

__all__ = ['CAMClassifier', 'CSEClassifier', 'IRNBoundaryNet']
