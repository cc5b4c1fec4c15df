"""The process's console: what a tool shows its user, even while a quiet
pipeline stage sends its own output to a log file."""
import sys
from typing import TextIO

# Whether the console's current line was left open (written without a
# newline, a progress line), so that the next message starts a new one.
_STATE = dict(line_open=False)


def console_stream() -> TextIO:
    """The process's real stdout, even inside a redirected stage."""
    return sys.__stdout__ or sys.stdout


def console(message: str, end: str = '\n') -> None:
    """Write ``message`` to the process's console (its real stdout), even
    inside a stage whose stdout goes to a log file."""
    stream = console_stream()
    stream.write(message + end)
    stream.flush()
    note_write(message + end)


def note_write(text: str) -> None:
    """Record what was last written to the console: a text not ending in a
    newline leaves its line open."""
    if text:
        _STATE['line_open'] = not text.endswith('\n')


def ensure_new_line() -> None:
    """End an open console line (a progress line), so that what follows
    (an error, the next stage) starts on its own line."""
    if _STATE['line_open']:
        stream = console_stream()
        stream.write('\n')
        stream.flush()
        _STATE['line_open'] = False
