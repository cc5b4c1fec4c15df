"""mmwsss: weakly-supervised semantic segmentation for MMSegmentation.

Importing the package registers its datasets, transforms and models into
mmseg's registries and lets mmengine checkpoints load weights-only.
"""
import warnings

# mmengine imports setuptools' deprecated pkg_resources; its warning would
# be printed again by every worker process the pipeline starts.
warnings.filterwarnings(
    'ignore', message='pkg_resources is deprecated', category=UserWarning)
# mmseg 1.2.2 warns on every head it builds that its own ``build_loss`` will
# be deprecated and that ``avg_non_ignore`` defaults to False: nothing a
# user of its configs can act on, printed after the quiet stages' lines.
warnings.filterwarnings('ignore', message='``build_loss`` would be deprecated')
warnings.filterwarnings('ignore', message='Default ``avg_non_ignore``')

from mmengine.config.utils import MODULE2PACKAGE  # noqa: E402

from .checkpoint import allow_mmengine_checkpoints  # noqa: E402
from .version import __version__  # noqa: E402

allow_mmengine_checkpoints()
# Lets configs parsed after ``import mmwsss`` inherit ``mmwsss::...`` paths
# from the installed package's ``.mim/configs``, as they do ``mmseg::``.
MODULE2PACKAGE.setdefault('mmwsss', 'mmwsss')

# Registers every module into mmseg's registries.
from . import (apis, cams, datasets, engine, evaluation,  # noqa: E402,F401
               models, pipeline, pseudo_labels, visualization)

__all__ = ['__version__', 'allow_mmengine_checkpoints']
