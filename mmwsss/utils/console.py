"""The process's console: what a tool shows its user, even while a quiet
pipeline stage sends its own output to a log file."""
import sys


def console(message: str, end: str = '\n') -> None:
    """Write ``message`` to the process's console (its real stdout), even
    inside a stage whose stdout goes to a log file."""
    stream = sys.__stdout__ or sys.stdout
    stream.write(message + end)
    stream.flush()
