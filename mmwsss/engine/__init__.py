from .hooks import ConsoleProgressHook
from .schedulers import PolyWarmupLR

__all__ = ['ConsoleProgressHook', 'PolyWarmupLR']
