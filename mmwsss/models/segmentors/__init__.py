from .cam_classifier import CAMClassifier
from .cse_classifier import CSEClassifier

__all__ = ['CAMClassifier', 'CSEClassifier']
