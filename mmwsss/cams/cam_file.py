"""The IRN CAM file: ``<id>.npy`` holding ``dict(keys=int array of 0-based
foreground class indices, high_res=float32 [len(keys), H, W])`` at the
image's original size, each map in [0, 1]."""
import numpy as np

from mmwsss.utils import atomic_write


def validate_cam_dict(cam, path, num_classes=None, shape=None):
    """Check a loaded CAM dict; raise ``ValueError`` naming ``path``."""
    if not isinstance(cam, dict) or 'keys' not in cam or \
            'high_res' not in cam:
        found = sorted(cam) if isinstance(cam, dict) else type(cam).__name__
        raise ValueError(f'{path}: a CAM file must hold a dict with "keys" '
                         f'and "high_res", found {found}')
    keys = np.asarray(cam['keys'])
    high_res = np.asarray(cam['high_res'])
    if keys.ndim != 1 or (keys.size and not np.issubdtype(
            keys.dtype, np.integer)):
        raise ValueError(f'{path}: "keys" must be a 1-D integer array, got '
                         f'{keys.dtype} {keys.shape}')
    if high_res.ndim != 3 or high_res.shape[0] != keys.shape[0]:
        raise ValueError(f'{path}: "high_res" must be [len(keys), H, W] = '
                         f'[{keys.shape[0]}, H, W], got {high_res.shape}')
    if num_classes is not None and keys.size and (keys.min() < 0 or
                                                  keys.max() >= num_classes):
        raise ValueError(f'{path}: class indices {keys.tolist()} fall outside '
                         f'[0, {num_classes}) foreground classes')
    if shape is not None and tuple(high_res.shape[1:]) != tuple(shape):
        raise ValueError(f'{path}: CAMs are {tuple(high_res.shape[1:])} but '
                         f'the image is {tuple(shape)}')
    if high_res.size and not np.isfinite(high_res).all():
        raise ValueError(f'{path}: "high_res" holds NaN or infinite values')
    return dict(keys=keys.astype(np.int64), high_res=high_res)


def save_cam_file(path, keys, high_res):
    """Write a CAM file atomically (temporary file, then rename)."""
    cam = validate_cam_dict(
        dict(
            keys=np.asarray(keys, dtype=np.int64),
            high_res=np.asarray(high_res, dtype=np.float32)), path)
    with atomic_write(path, suffix='.npy') as tmp_path:
        with open(tmp_path, 'wb') as f:
            np.save(f, cam)


def load_cam_file(path, num_classes=None, shape=None):
    """Read and check a CAM file; errors name the file and the problem."""
    try:
        cam = np.load(path, allow_pickle=True)
    except FileNotFoundError:
        raise FileNotFoundError(f'CAM file not found: {path}') from None
    except Exception as e:
        raise ValueError(f'{path}: not a readable .npy CAM file '
                         f'({type(e).__name__}: {e})') from None
    if isinstance(cam, np.ndarray) and cam.dtype == object and cam.ndim == 0:
        cam = cam.item()
    return validate_cam_dict(cam, path, num_classes, shape)
