"""Entry points of the command-line tools."""
import os
import sys
from typing import Callable

# What bad input raises across mmwsss: a missing file or folder, a value or
# key the tool cannot use. Anything else is a bug and keeps its traceback.
USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, KeyError)


def run_tool(main: Callable[[], object]) -> None:
    """Run a tool's ``main``; a user mistake ends in one line on stderr
    (``<tool>: error: <message>``) and exit status 1 instead of a
    traceback. ``MMWSSS_TRACEBACK=1`` keeps the traceback."""
    if os.environ.get('MMWSSS_TRACEBACK') == '1':
        main()
        return
    try:
        main()
    except USER_ERRORS as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        tool = os.path.basename(sys.argv[0])
        print(f'{tool}: error: {message}', file=sys.stderr)
        sys.exit(1)
