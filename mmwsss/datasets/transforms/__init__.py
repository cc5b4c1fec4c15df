from .erase_regions import EraseRegions
from .hide_and_seek import HideAndSeek
from .irn_random_crop import IRNRandomCrop
from .pack_wsss_inputs import PackWSSSInputs
from .random_rescale import RandomRescale
from .token_contrast_global_view import TokenContrastGlobalView
from .token_contrast_local_view import TokenContrastLocalView

__all__ = [
    'EraseRegions', 'HideAndSeek', 'IRNRandomCrop', 'PackWSSSInputs',
    'RandomRescale', 'TokenContrastGlobalView', 'TokenContrastLocalView'
]
