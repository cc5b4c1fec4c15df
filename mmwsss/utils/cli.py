"""Entry points of the command-line tools."""
import argparse
import os
import sys
from typing import Callable, Optional

from .console import ensure_new_line
from .errors import InputError

# What bad input raises across mmwsss: an :class:`InputError` (every check
# in mmwsss raises one), or a path the operating system cannot find.
# Anything else (a KeyError or TypeError inside a library) is a bug and
# keeps its traceback.
USER_ERRORS = (InputError, FileNotFoundError, NotADirectoryError)

#: Exit status of a tool stopped by Ctrl-C, as a shell reports SIGINT.
INTERRUPTED_STATUS = 130


def run_tool(main: Callable[[], object],
             on_interrupt: Optional[Callable[[], str]] = None) -> None:
    """Run a tool's ``main``. A user mistake ends in one line on stderr
    (``<tool>: error: <message>``) and exit status 1 instead of a
    traceback; Ctrl-C ends in one line saying what finished (the text of
    ``on_interrupt()``) and that a rerun resumes, with status 130.
    ``MMWSSS_TRACEBACK=1`` keeps every traceback.

    Args:
        main (Callable): The tool's main function.
        on_interrupt (Callable, optional): Returns what had finished when
            the tool was interrupted, e.g. ``'finished: train, cams;
            interrupted: seeds'``.
    """
    tool = os.path.basename(sys.argv[0])
    if os.environ.get('MMWSSS_TRACEBACK') == '1':
        main()
        return
    try:
        main()
    except USER_ERRORS as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        # Not glued to an open progress line.
        ensure_new_line()
        print(f'{tool}: error: {message}', file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        ensure_new_line()
        done = on_interrupt() if on_interrupt is not None else ''
        print(f'\n{tool}: interrupted{"; " + done if done else ""}; '
              'rerun the same command to resume (finished work is kept)',
              file=sys.stderr)
        sys.exit(INTERRUPTED_STATUS)


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """``--overwrite`` of the tools that write a folder with a manifest
    (see :func:`~mmwsss.utils.prepare_output_dir`)."""
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='start over an output folder made under other settings '
        '(default: refuse, naming the changed settings)')
