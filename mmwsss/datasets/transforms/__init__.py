from .hide_and_seek import HideAndSeek
from .pack_wsss_inputs import PackWSSSInputs

__all__ = ['HideAndSeek', 'PackWSSSInputs']
