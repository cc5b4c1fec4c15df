"""Progress that suits its stream: a bar redrawn in place on a terminal, a
line now and then in a log file."""
import sys
import time
from typing import Callable, Iterable, List, Optional, TextIO

from mmengine.utils import ProgressBar as _TerminalBar

from .console import console_stream, note_write


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    isatty = getattr(stream, 'isatty', None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressBar:
    """mmengine's ``ProgressBar`` on a terminal; elsewhere (stdout
    redirected to a file, a pipeline stage's log) one line per tenth of
    the tasks, or per 30 s, and the last, instead of a redraw per task.

    Args:
        task_num (int): Number of tasks.
        file (TextIO, optional): The stream (default stdout).
        line_every (float): Share of the tasks between two lines off a
            terminal.
        seconds_every (float): Seconds between two lines off a terminal.
    """

    def __init__(self,
                 task_num: int,
                 file: Optional[TextIO] = None,
                 line_every: float = 0.1,
                 seconds_every: float = 30.0):
        self.file = file or sys.stdout
        self.task_num = task_num
        self.completed = 0
        self.terminal = is_terminal(self.file)
        self._bar = _TerminalBar(task_num, file=self.file) \
            if self.terminal else None
        self._step = max(1, int(task_num * line_every)) if task_num else 1
        self._seconds_every = seconds_every
        self._start = self._last = time.time()

    def update(self, num_tasks: int = 1) -> None:
        """Count ``num_tasks`` more finished tasks."""
        self.completed += num_tasks
        if self._bar is not None:
            self._bar.update(num_tasks)
            if self.file is console_stream():
                note_write('\r')
            return
        now = time.time()
        last = self.task_num and self.completed >= self.task_num
        if last or self.completed % self._step < num_tasks or \
                now - self._last >= self._seconds_every:
            self._last = now
            elapsed = now - self._start
            total = f'/{self.task_num}' if self.task_num else ''
            self.file.write(f'{self.completed}{total} done, '
                            f'{elapsed:.0f} s\n')
            self.file.flush()


def track_progress(func: Callable, tasks: Iterable) -> List:
    """``[func(t) for t in tasks]`` with a :class:`ProgressBar`."""
    tasks = list(tasks)
    bar = ProgressBar(len(tasks))
    results = []
    for task in tasks:
        results.append(func(task))
        bar.update()
    bar.file.write('\n' if bar.terminal else '')
    return results
