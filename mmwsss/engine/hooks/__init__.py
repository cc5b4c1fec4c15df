from .console_progress_hook import ConsoleProgressHook
from .rng_state_hook import RNGStateHook

__all__ = ['ConsoleProgressHook', 'RNGStateHook']
