import sys
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """One console line that counts a run's training iterations, rewritten
    in place, for pipelines whose full logs go to files.

    It writes to the process's console (``sys.__stdout__``), so it stays
    visible while stdout is redirected to a log file.

    Args:
        label (str): What the line names, e.g. ``'cam/train'``.
        interval (int): Iterations between updates. Default: 10.
    """

    priority = 'VERY_LOW'

    def __init__(self, label: str, interval: int = 10) -> None:
        self.label = label
        self.interval = interval

    def _write(self, text: str) -> None:
        stream = sys.__stdout__ or sys.stdout
        stream.write('\r' + text)
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
        self._write(f'{self.label} ... iteration {done}/{runner.max_iters}'
                    f'{loss}')
