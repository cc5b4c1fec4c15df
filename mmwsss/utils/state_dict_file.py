"""Read and write the state-dict files of the checkpoint converters."""
import os.path as osp
from typing import Dict

import torch

from .errors import InputFileNotFoundError, InputValueError
from .io import atomic_write


def load_state_dict_file(path: str) -> Dict[str, torch.Tensor]:
    """The state dict of a checkpoint file, read weights-only (a plain
    state dict, or one under ``state_dict`` or ``model``).

    Raises:
        InputFileNotFoundError: No such file.
        InputValueError: The file holds no dict of tensors.
    """
    if not osp.isfile(path):
        raise InputFileNotFoundError(f'{path}: no such checkpoint file')
    state = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and key in state:
            state = state[key]
    if not isinstance(state, dict):
        raise InputValueError(
            f'{path}: not a state dict (holds a {type(state).__name__})')
    return state


def save_state_dict_file(state: Dict[str, torch.Tensor], path: str) -> None:
    """Write ``dict(state_dict=state)`` atomically (mmengine's checkpoint
    layout), so an interrupted conversion leaves no partial file."""
    with atomic_write(path, suffix='.pth') as tmp_path:
        torch.save(dict(state_dict=state), tmp_path)
