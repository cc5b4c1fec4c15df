"""mmwsss: weakly-supervised semantic segmentation for MMSegmentation.

Importing the package registers its datasets, transforms and models into
mmseg's registries and lets mmengine checkpoints load weights-only.
"""
from .checkpoint import allow_mmengine_checkpoints
from .version import __version__

allow_mmengine_checkpoints()

# Registers every module into mmseg's registries.
from . import (apis, cams, datasets, evaluation, models,  # noqa: E402,F401
               pseudo_labels, visualization)

__all__ = ['__version__', 'allow_mmengine_checkpoints']
