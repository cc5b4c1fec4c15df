from .registry import MASK_SOURCES
from .sam import SAM_MODELS, SAMMasks
from .superpixels import SuperpixelMasks

__all__ = ['MASK_SOURCES', 'SAM_MODELS', 'SAMMasks', 'SuperpixelMasks']
