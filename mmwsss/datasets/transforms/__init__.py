from .erase_regions import EraseRegions
from .hide_and_seek import HideAndSeek
from .pack_wsss_inputs import PackWSSSInputs
from .random_rescale import RandomRescale

__all__ = ['EraseRegions', 'HideAndSeek', 'PackWSSSInputs', 'RandomRescale']
