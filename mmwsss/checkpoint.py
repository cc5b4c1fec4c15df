"""Let mmengine checkpoints load under ``torch.load(weights_only=True)``.

torch >= 2.6 loads checkpoints weights-only by default, and mmengine 0.10.7
checkpoints hold its ``HistoryBuffer`` (the message hub's logs) and numpy
arrays and scalars. Exactly those types are allowed here; weights-only
loading stays on for everything else.

``HistoryBuffer.__getstate__`` also pickles its statistic methods, and
pickle protocol 2 (torch.save's default) writes ``HistoryBuffer.min`` as
``getattr(HistoryBuffer, 'min')``, so ``getattr`` must be allowed too. The
weights-only unpickler still calls nothing outside the allow-list.
"""
import builtins
from typing import List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer


def _numpy_globals() -> List[object]:
    multiarray = np.core.multiarray
    allowed = [np.ndarray, np.dtype, multiarray._reconstruct,
               multiarray.scalar]
    # numpy >= 1.25 pickles dtypes as instances of these classes.
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        allowed += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return allowed


CHECKPOINT_SAFE_GLOBALS = [HistoryBuffer, builtins.getattr] + _numpy_globals()


def allow_mmengine_checkpoints() -> None:
    """Add the types mmengine checkpoints hold to torch's weights-only
    allow-list."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
