"""Check that a checkpoint fits a model before a job starts, and load it
with one read of the file."""
from typing import Optional

import torch.nn as nn
from mmengine.runner import CheckpointLoader
from .errors import InputValueError


def _checkpoint_state_dict(checkpoint: str) -> dict:
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    if not isinstance(loaded, dict):
        raise InputValueError(f'{checkpoint}: not a checkpoint (holds a '
                              f'{type(loaded).__name__})')
    state_dict = loaded.get('state_dict', loaded)
    # As mmengine's load_checkpoint: weights saved from a wrapped model.
    return {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state_dict.items()
    }


def check_checkpoint_fits(model: nn.Module,
                          checkpoint: str,
                          allow_missing: bool = False,
                          state_dict: Optional[dict] = None) -> None:
    """Fail before a job starts if ``checkpoint`` does not fit ``model``.

    mmengine loads checkpoints non-strictly: a weight of another shape (a
    checkpoint of a different number of classes) or one the checkpoint
    lacks is only logged, and the job then runs with random weights.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str): Checkpoint path.
        allow_missing (bool): Accept weights of the model the checkpoint
            lacks (fine-tuning with ``load_from`` into a larger model).
        state_dict (dict, optional): The checkpoint's weights when they are
            already loaded (see :func:`load_fitting_checkpoint`); default:
            read from ``checkpoint``.

    Raises:
        ValueError: Naming the checkpoint, the first mismatched weights and
            their shapes.
    """
    model = getattr(model, 'module', model)
    saved = state_dict if state_dict is not None else _checkpoint_state_dict(
        checkpoint)
    expected = model.state_dict()
    mismatched = [(k, tuple(saved[k].shape), tuple(v.shape))
                  for k, v in expected.items()
                  if k in saved and hasattr(saved[k], 'shape')
                  and tuple(saved[k].shape) != tuple(v.shape)]
    if mismatched:
        details = '; '.join(f'{k} is {a} in the checkpoint, {b} in the model'
                            for k, a, b in mismatched[:3])
        hint = ''
        num_classes = getattr(model, 'num_classes', None) or getattr(
            getattr(model, 'decode_head', None), 'num_classes', None)
        if num_classes is not None and any(a[:1] != b[:1] and
                                           b[:1] == (num_classes, )
                                           for _, a, b in mismatched):
            hint = (f' (the config has {num_classes} classes; the checkpoint '
                    'was trained for another number)')
        raise InputValueError(
            f'{checkpoint} does not fit the model built from '
            f'the config: {details}{hint}')
    missing = [k for k in expected if k not in saved]
    if missing and not allow_missing:
        raise InputValueError(
            f'{checkpoint} lacks {len(missing)} of the model\'s '
            f'{len(expected)} weights, e.g. {missing[:3]}; was it trained '
            'with this config?')


def load_fitting_checkpoint(model: nn.Module, checkpoint: str) -> None:
    """Load ``checkpoint`` into ``model`` after checking that it fits (see
    :func:`check_checkpoint_fits`), reading the file once."""
    saved = _checkpoint_state_dict(checkpoint)
    check_checkpoint_fits(model, checkpoint, state_dict=saved)
    # Every weight of the model is there and fits (checked above); extra
    # entries are ignored, as mmengine's load_checkpoint does.
    getattr(model, 'module', model).load_state_dict(saved, strict=False)
