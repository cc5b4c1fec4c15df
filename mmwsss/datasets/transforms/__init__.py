from .hide_and_seek import HideAndSeek
from .pack_wsss_inputs import PackWSSSInputs
from .random_rescale import RandomRescale

__all__ = ['HideAndSeek', 'PackWSSSInputs', 'RandomRescale']
