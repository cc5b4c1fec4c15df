"""File input and output: atomic writes, label PNGs, JSON results and
checks that the files a job needs exist."""
import json
import os
import os.path as osp
import tempfile
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Optional, Sequence, Set

import numpy as np
from PIL import Image

from .errors import InputFileNotFoundError, InputValueError
from .image_files import open_image
from .palette import voc_palette


@contextmanager
def atomic_write(path: str, suffix: str = '') -> Iterator[str]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only
    when the block finishes, so a reader never sees a partial file.

    The temporary name starts with '.' and ends with '.tmp' so that
    :func:`remove_stale_tmp_files` can clear what an interrupted job left.
    """
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix=suffix + '.tmp',
        dir=directory)
    os.close(fd)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise


def _tmp_target(name: str) -> Set[str]:
    """Candidate final names of an :func:`atomic_write` temporary file
    ``.<final name>.<random><suffix>.tmp``: every prefix of the name without
    its leading '.' that ends before a '.'."""
    stem = name[1:]
    return {stem[:i] for i, char in enumerate(stem) if char == '.'}


def remove_stale_tmp_files(directory: str,
                           targets: Optional[Iterable[str]] = None) -> int:
    """Delete temporary files an interrupted :func:`atomic_write` left.

    Args:
        directory (str): Output directory.
        targets (Iterable[str], optional): Only remove temporary files of
            these final file names, e.g. the ids one rank owns, so that
            processes sharing ``directory`` never delete each other's
            files in flight. Default: all.

    Returns:
        int: Number of files removed.
    """
    if not osp.isdir(directory):
        return 0
    targets = None if targets is None else set(targets)
    removed = 0
    for name in os.listdir(directory):
        if not (name.startswith('.') and name.endswith('.tmp')):
            continue
        if targets is not None and not _tmp_target(name) & targets:
            continue
        try:
            os.remove(osp.join(directory, name))
            removed += 1
        except FileNotFoundError:
            pass
    return removed


JPEG_END_MARKER = b'\xff\xd9'


def check_image_file(path: str) -> None:
    """Cheaply check that ``path`` is a readable image before long work
    starts: the header must decode, and a JPEG must end with its
    end-of-image marker (OpenCV silently decodes a truncated JPEG with a
    grey lower part).

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty, not an image, or truncated.
    """
    with open_image(path) as image:
        image_format = image.format
    if image_format == 'JPEG':
        with open(path, 'rb') as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            # Some cameras pad after the marker; look at the last 4 KiB.
            f.seek(max(0, size - 4096))
            tail = f.read()
        if JPEG_END_MARKER not in tail:
            raise InputValueError(f'{path}: truncated JPEG (no end-of-image '
                                  'marker); re-copy or re-download the file')


def save_palette_png(label: np.ndarray,
                     path: str,
                     palette: Optional[np.ndarray] = None) -> None:
    """Write a label map of class indices as a palette PNG, atomically.

    Args:
        label (np.ndarray): ``[H, W]`` integer map with values in [0, 255].
        path (str): Output ``.png`` path.
        palette (np.ndarray, optional): ``[N, 3]`` uint8 colours; defaults to
            the VOC palette so the file is not black in an image viewer.
    """
    label = np.asarray(label)
    if label.ndim != 2:
        raise InputValueError(f'{path}: a label map must be 2-D, got shape '
                              f'{label.shape}')
    if label.min() < 0 or label.max() > 255:
        raise InputValueError(
            f'{path}: label values must lie in [0, 255], got '
            f'[{label.min()}, {label.max()}]')
    palette = voc_palette() if palette is None else np.asarray(palette)
    image = Image.fromarray(label.astype(np.uint8), mode='P')
    image.putpalette(palette.astype(np.uint8).flatten().tolist())
    with atomic_write(path, suffix='.png') as tmp_path:
        image.save(tmp_path, format='PNG')


def load_label_png(path: str) -> np.ndarray:
    """Read a palette (or grey) PNG as a ``[H, W]`` uint8 map of indices."""
    with open_image(path, 'label file') as image:
        if image.mode not in ('P', 'L'):
            raise InputValueError(
                f'{path}: a label PNG must be a palette or grey image, got '
                f'mode {image.mode!r}')
        return np.array(image)


def save_json(obj: Any, path: str) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_write(path, suffix='.json') as tmp_path:
        with open(tmp_path, 'w') as f:
            json.dump(obj, f, indent=2)


def require_files(directory: str,
                  ids: Sequence[str],
                  suffix: str,
                  what: str,
                  hint: str = '') -> None:
    """Raise ``FileNotFoundError`` naming ``directory``, how many of ``ids``
    lack ``<id><suffix>`` there, and the first such file."""
    missing = [
        i for i in ids if not osp.isfile(osp.join(directory, i + suffix))
    ]
    if missing:
        raise InputFileNotFoundError(
            f'{directory}: {len(missing)} of {len(ids)} {what} are missing, '
            f'e.g. {missing[0]}{suffix}{hint}')
