from .hooks import ConsoleProgressHook

__all__ = ['ConsoleProgressHook']
