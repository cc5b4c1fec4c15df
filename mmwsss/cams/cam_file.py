"""The IRN CAM file: ``<id>.npy`` holding ``dict(keys=int array of 0-based
foreground class indices, high_res=float32 [len(keys), H, W], cam=float32
torch.Tensor [len(keys), (H-1)//4+1, (W-1)//4+1])``, each map in [0, 1].

``high_res`` is at the image's original size; ``cam`` is IRN's stride-4 map
(``step/make_cam.py`` stores it as a CPU ``torch.Tensor``, which IRN's and
ReCAM's ``make_sem_seg_labels.py`` move to the GPU with ``.cuda()``), so
their scripts read mmwsss files unchanged. Files without ``cam`` are read
too; :func:`strided_cams` then derives it from ``high_res``."""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from numpy.typing import ArrayLike

from mmwsss.utils import atomic_write
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError

#: Stride of IRN's ``cam`` entry relative to the image.
CAM_STRIDE = 4


def strided_size(shape: Sequence[int],
                 stride: int = CAM_STRIDE) -> Tuple[int, ...]:
    """IRN's ``imutils.get_strided_size``: ``((H-1)//s+1, (W-1)//s+1)``."""
    return tuple((int(s) - 1) // stride + 1 for s in shape)


def validate_cam_dict(
        cam: object,
        path: str,
        num_classes: Optional[int] = None,
        shape: Optional[Tuple[int, int]] = None) -> Dict[str, np.ndarray]:
    """Check a loaded CAM dict; raise ``ValueError`` naming ``path``.

    Returns:
        dict: ``keys`` (int64), ``high_res`` and, when the file has it,
        ``cam`` (float32 numpy array).
    """
    if not isinstance(cam, dict) or 'keys' not in cam or \
            'high_res' not in cam:
        found = sorted(cam) if isinstance(cam, dict) else type(cam).__name__
        raise InputValueError(
            f'{path}: a CAM file must hold a dict with "keys" '
            f'and "high_res", found {found}')
    keys = np.asarray(cam['keys'])
    high_res = np.asarray(cam['high_res'])
    if keys.ndim != 1 or (keys.size and not np.issubdtype(
            keys.dtype, np.integer)):
        raise InputValueError(
            f'{path}: "keys" must be a 1-D integer array, got '
            f'{keys.dtype} {keys.shape}')
    if high_res.ndim != 3 or high_res.shape[0] != keys.shape[0]:
        raise InputValueError(
            f'{path}: "high_res" must be [len(keys), H, W] = '
            f'[{keys.shape[0]}, H, W], got {high_res.shape}')
    if num_classes is not None and keys.size and (keys.min() < 0 or
                                                  keys.max() >= num_classes):
        raise InputValueError(
            f'{path}: class indices {keys.tolist()} fall outside '
            f'[0, {num_classes}) foreground classes')
    if shape is not None and tuple(high_res.shape[1:]) != tuple(shape):
        raise InputValueError(
            f'{path}: CAMs are {tuple(high_res.shape[1:])} but '
            f'the image is {tuple(shape)}')
    if high_res.size and not np.isfinite(high_res).all():
        raise InputValueError(
            f'{path}: "high_res" holds NaN or infinite values')
    checked = dict(keys=keys.astype(np.int64), high_res=high_res)
    if cam.get('cam') is not None:
        strided = np.asarray(cam['cam'], dtype=np.float32)
        expected = (keys.shape[0], ) + strided_size(high_res.shape[1:])
        if strided.shape != expected:
            raise InputValueError(
                f'{path}: "cam" must be [len(keys), (H-1)//4+1, '
                f'(W-1)//4+1] = {list(expected)}, got '
                f'{list(strided.shape)}')
        if strided.size and not np.isfinite(strided).all():
            raise InputValueError(
                f'{path}: "cam" holds NaN or infinite values')
        checked['cam'] = strided
    return checked


def save_cam_file(path: str,
                  keys: ArrayLike,
                  high_res: ArrayLike,
                  cam: Optional[np.ndarray] = None) -> None:
    """Write a CAM file atomically (temporary file, then rename).

    Args:
        path (str): Output ``.npy`` path.
        keys (array-like): 0-based foreground classes of the maps.
        high_res (array-like): ``[len(keys), H, W]`` maps in [0, 1].
        cam (array-like, optional): IRN's stride-4 maps; stored as a CPU
            ``torch.Tensor`` as IRN's ``make_cam`` does.
    """
    checked = validate_cam_dict(
        dict(
            keys=np.asarray(keys, dtype=np.int64),
            high_res=np.asarray(high_res, dtype=np.float32),
            cam=cam), path)
    if 'cam' in checked:
        checked['cam'] = torch.from_numpy(checked['cam'])
    with atomic_write(path, suffix='.npy') as tmp_path:
        with open(tmp_path, 'wb') as f:
            np.save(f, checked)


def load_cam_file(
        path: str,
        num_classes: Optional[int] = None,
        shape: Optional[Tuple[int, int]] = None) -> Dict[str, np.ndarray]:
    """Read and check a CAM file; errors name the file and the problem."""
    try:
        cam = np.load(path, allow_pickle=True)
    except FileNotFoundError:
        raise InputFileNotFoundError(f'CAM file not found: {path}') from None
    except Exception as e:
        raise InputValueError(f'{path}: not a readable .npy CAM file '
                              f'({type(e).__name__}: {e})') from None
    if isinstance(cam, np.ndarray) and cam.dtype == object and cam.ndim == 0:
        cam = cam.item()
    return validate_cam_dict(cam, path, num_classes, shape)


def strided_cams(cam: Dict[str, np.ndarray]) -> np.ndarray:
    """IRN's stride-4 maps of a loaded CAM file: its ``cam`` entry, or, for
    files without one, ``high_res`` resized (bilinear, as IRN resizes
    CAMs) to the strided size and divided by each map's maximum again.

    Returns:
        np.ndarray: float32 ``[len(keys), (H-1)//4+1, (W-1)//4+1]``.
    """
    if 'cam' in cam:
        return cam['cam']
    high_res = torch.from_numpy(np.asarray(cam['high_res'], np.float32))
    size = strided_size(high_res.shape[1:])
    if high_res.shape[0] == 0:
        return np.zeros((0, ) + size, dtype=np.float32)
    maps = F.interpolate(
        high_res[None], size=size, mode='bilinear', align_corners=False)[0]
    peak = maps.flatten(1).max(dim=1).values[:, None, None]
    return (maps / (peak + 1e-5)).numpy()
