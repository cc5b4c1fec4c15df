"""AFA / ToCo / WeCLIP's learning-rate schedule as an mmengine scheduler."""
from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler
from mmseg.registry import PARAM_SCHEDULERS

from mmwsss.utils.errors import InputValueError


@PARAM_SCHEDULERS.register_module()
class PolyWarmupLR(LRSchedulerMixin, _ParamScheduler):
    """The learning rate of ``PolyWarmupAdamW`` (AFA, CVPR 2022; ToCo, CVPR
    2023; WeCLIP, CVPR 2024; ``utils/optimizer.py``) in closed form.

    At step ``t`` (0-based, counted from ``begin``) every group's rate is
    its initial rate times

    - ``1 - (1 - t / warmup_iters) * (1 - warmup_ratio)`` while
      ``t < warmup_iters`` (a linear ramp from ``warmup_ratio``), then
    - ``(1 - t / max_iters) ** power``, ``t`` counted from the start, not
      from the end of the warm-up (so the rate drops a little when the
      warm-up ends, as the official optimizer does).

    mmengine's ``LinearLR`` followed by ``PolyLR`` would restart the poly
    decay at the end of the warm-up; chained together they would multiply
    both factors during it. Neither is the official schedule.

    Args:
        optimizer: Wrapped optimizer.
        warmup_iters (int): Warm-up steps (ToCo 1500, WeCLIP 50).
        warmup_ratio (float): Factor at step 0 (1e-6).
        max_iters (int): Steps of the poly decay (the schedule's length).
        power (float): Poly power (ToCo 0.9, WeCLIP 1.0).
        begin (int): First step. Default 0.
        end (int): Step after the last. Default ``max_iters`` (then the
            rate stays, as the official optimizer's).
        by_epoch (bool): Must be False: the schedule counts iterations.
        last_step (int): For resuming without a state dict.
        verbose (bool): Log every change.
    """

    def __init__(self,
                 optimizer,
                 warmup_iters: int,
                 max_iters: int,
                 warmup_ratio: float = 1e-6,
                 power: float = 0.9,
                 begin: int = 0,
                 end: int = INF,
                 by_epoch: bool = False,
                 last_step: int = -1,
                 verbose: bool = False) -> None:
        if by_epoch:
            raise InputValueError(
                'PolyWarmupLR counts iterations: set by_epoch=False')
        if not 0 <= warmup_iters < max_iters:
            raise InputValueError(
                'PolyWarmupLR needs 0 <= warmup_iters < max_iters, got '
                f'warmup_iters={warmup_iters}, max_iters={max_iters}')
        self.warmup_iters = warmup_iters
        self.max_iters = max_iters
        self.warmup_ratio = warmup_ratio
        self.power = power
        super().__init__(
            optimizer,
            begin=begin,
            end=min(end, begin + max_iters),
            last_step=last_step,
            by_epoch=False,
            verbose=verbose)

    def factor(self, step: int) -> float:
        """The multiple of the initial rate at ``step``."""
        if step < self.warmup_iters:
            return 1 - (1 - step / self.warmup_iters) * (1 - self.warmup_ratio)
        return (1 - step / self.max_iters)**self.power

    def _get_value(self):
        factor = self.factor(self.last_step - self.begin)
        return [base * factor for base in self.base_values]
