import random
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmseg.registry import HOOKS


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Keep the random generators' states in every checkpoint and restore
    them on resume, so that a run interrupted after a checkpoint and
    resumed from it draws the same crops, flips and dropout masks as an
    uninterrupted run, and reaches the same weights.

    mmengine's resume only re-seeds the generators with the run's seed,
    which replays the first epoch's draws instead of continuing. The
    states are stored as plain lists and a byte tensor, which
    weights-only loading accepts. Data loading workers seed themselves
    from the run's seed each epoch (non-persistent workers), so they need
    nothing here.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        version, state, gauss = random.getstate()
        name, keys, pos, has_gauss, cached = np.random.get_state()
        checkpoint['rng_state'] = dict(
            python=[version, list(state), gauss],
            numpy=[name, keys.tolist(), int(pos), int(has_gauss),
                   float(cached)],
            torch=torch.get_rng_state(),
            cuda=torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [])

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        state: Optional[dict] = checkpoint.get('rng_state')
        # Only a resume continues the draws; loading weights to fine-tune
        # (load_from without resume) starts from the run's own seed.
        if state is None or not runner._resume:
            return
        version, python_state, gauss = state['python']
        random.setstate((version, tuple(python_state), gauss))
        name, keys, pos, has_gauss, cached = state['numpy']
        np.random.set_state(
            (name, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(state['torch'])
        if state['cuda'] and torch.cuda.is_available() and len(
                state['cuda']) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state['cuda'])
