from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS

from mmwsss.utils.console import console_stream, note_write
from mmwsss.utils.progress import is_terminal


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """One console line that counts a run's training iterations, rewritten
    in place, for pipelines whose full logs go to files.

    It writes to the process's console (``sys.__stdout__``), so it stays
    visible while stdout is redirected to a log file. Off a terminal (the
    console itself redirected to a file) it writes a line per tenth of the
    run instead of rewriting one.

    Args:
        label (str): What the line names, e.g. ``'cam/train'``.
        interval (int): Iterations between updates. Default: 10.
    """

    priority = 'VERY_LOW'

    def __init__(self, label: str, interval: int = 10) -> None:
        self.label = label
        self.interval = interval

    def _write(self, text: str, done: int, total: int) -> None:
        stream = console_stream()
        if is_terminal(stream):
            stream.write('\r' + text)
            note_write(text)
        elif done == total or done % max(self.interval, total // 10) == 0:
            stream.write(text + '\n')
            note_write('\n')
        stream.flush()

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        done = runner.iter + 1
        if done % self.interval and done != runner.max_iters:
            return
        loss = (outputs or {}).get('loss')
        loss = f', loss {float(loss):.4f}' if loss is not None else ''
        self._write(
            f'{self.label} ... iteration {done}/{runner.max_iters}{loss}',
            done, runner.max_iters)
