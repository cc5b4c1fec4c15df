from .adl import ADL
from .adl_resnet import ADLResNetV1c

__all__ = ['ADL', 'ADLResNetV1c']
