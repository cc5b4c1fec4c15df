from .console_progress_hook import ConsoleProgressHook

__all__ = ['ConsoleProgressHook']
