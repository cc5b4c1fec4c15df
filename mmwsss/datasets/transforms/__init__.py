from .pack_wsss_inputs import PackWSSSInputs

__all__ = ['PackWSSSInputs']
