"""Opening image files with errors that name the file: the one place where
images, label PNGs and saliency maps are opened for their pixels or their
size."""
from contextlib import contextmanager
from typing import Iterator, Tuple

import numpy as np
from PIL import Image, ImageOps
from .errors import InputFileNotFoundError, InputValueError


@contextmanager
def open_image(path: str, what: str = 'image') -> Iterator[Image.Image]:
    """Open an image file with PIL, turning PIL's errors into ones that name
    the file and what it is.

    Args:
        path (str): The file.
        what (str): What the file is, for messages (``'image'``,
            ``'label'``, ``'saliency map'``).

    Yields:
        PIL.Image.Image: The opened (not yet decoded) image.

    Raises:
        FileNotFoundError: ``<what> not found: <path>``.
        ValueError: ``<path>: unreadable <what> (<reason>)``.
    """
    try:
        image = Image.open(path)
    except FileNotFoundError:
        raise InputFileNotFoundError(f'{what} not found: {path}') from None
    except (OSError, SyntaxError, ValueError) as e:
        raise InputValueError(f'{path}: unreadable {what} ({e})') from None
    with image:
        try:
            yield image
        except FileNotFoundError:
            raise
        except OSError as e:
            # Decoding happens lazily, inside the block (e.g. a truncated
            # file fails in ``load()``).
            raise InputValueError(f'{path}: unreadable {what} ({e})') from None


def read_rgb(path: str) -> np.ndarray:
    """An image file as an RGB array, turned as its EXIF orientation says,
    which is how mmseg's ``LoadImageFromFile`` (OpenCV) reads it, so that
    the array lines up with CAMs computed from that loader.

    Returns:
        np.ndarray: ``[H, W, 3]`` uint8.
    """
    with open_image(path) as image:
        return np.array(ImageOps.exif_transpose(image).convert('RGB'))


def image_size(path: str, what: str = 'image') -> Tuple[int, int]:
    """``(width, height)`` from an image file's header, as stored (EXIF
    orientation is not applied)."""
    with open_image(path, what) as image:
        return image.size
