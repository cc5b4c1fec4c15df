"""mmwsss: weakly-supervised semantic segmentation for MMSegmentation.

Importing the package registers its datasets, transforms and models into
mmseg's registries and lets mmengine checkpoints load weights-only.
"""
from .checkpoint import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

from . import cams, datasets, evaluation, models  # noqa: E402,F401,I001
from . import apis  # noqa: E402,F401

__all__ = ['__version__', 'allow_mmengine_checkpoints']
