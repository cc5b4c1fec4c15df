from .affinity_net import AffinityNet
from .cam_classifier import CAMClassifier
from .cse_classifier import CSEClassifier
from .irn import IRNBoundaryNet

__all__ = [
    'AffinityNet', 'CAMClassifier', 'CSEClassifier', 'IRNBoundaryNet'
]
