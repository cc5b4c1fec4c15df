"""A generated dataset in PASCAL VOC 2012 layout that reproduces the core
difficulty of weakly-supervised segmentation.

Every object is a large body whose colour says only a little about its class
(low saturation, hues close together, noisy texture, and background clutter
of the same kind) and a small part whose colour and pattern say everything.
A classifier trained on image-level labels can rely on the part alone, so a
plain CAM lights up the part and under-covers the body, as it lights up a
dog's head and misses its body on real photographs.
"""
import colorsys
import os
import os.path as osp
from typing import Dict, List
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image

from mmwsss.utils import save_palette_png
from mmwsss.utils.errors import InputValueError
from .image_labels import split_file

DEMO_CLASSES = ('beetle', 'fish', 'bird', 'frog', 'snail')

# Body hues sit close together and are shared by the clutter; part hues are
# far apart and appear nowhere else.
_BODY_HUES = (0.02, 0.10, 0.18, 0.26, 0.34)
_PART_HUES = (0.00, 0.33, 0.66, 0.16, 0.83)
_PART_RING_HUES = (0.50, 0.83, 0.16, 0.66, 0.33)


def _hsv(h, s, v):
    return np.array(colorsys.hsv_to_rgb(h % 1.0, s, v), dtype=np.float32)


def _ellipse(size, cy, cx, ay, ax, angle):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    dy, dx = yy - cy, xx - cx
    cos, sin = np.cos(angle), np.sin(angle)
    u = (dx * cos + dy * sin) / ax
    v = (-dx * sin + dy * cos) / ay
    return u * u + v * v <= 1.0


def _smooth_noise(rng, size, cells, channels=3):
    coarse = rng.random((cells, cells, channels)).astype(np.float32)
    channels_out = []
    for c in range(channels):
        image = Image.fromarray((coarse[..., c] * 255).astype(np.uint8))
        image = image.resize((size, size), Image.BICUBIC)
        channels_out.append(np.asarray(image, dtype=np.float32) / 255.0)
    return np.stack(channels_out, axis=-1)


def _paint_body(canvas, mask, rng, hue, size):
    """Fill ``mask`` with a noisy, low-saturation texture of ``hue``."""
    base = _hsv(hue + rng.normal(0, 0.02), rng.uniform(0.25, 0.45),
                rng.uniform(0.45, 0.7))
    texture = _smooth_noise(rng, size, rng.integers(6, 12), 1) - 0.5
    fill = base[None, None] + 0.35 * texture
    fill += rng.normal(0, 0.05, (size, size, 3)).astype(np.float32)
    canvas[mask] = np.clip(fill[mask], 0, 1)


def _boundary(label, width=1):
    """Pixels whose neighbourhood holds another label (VOC's 255 band)."""
    padded = np.pad(label, width, mode='edge')
    h, w = label.shape
    edge = np.zeros_like(label, dtype=bool)
    for dy in range(-width, width + 1):
        for dx in range(-width, width + 1):
            shifted = padded[width + dy:width + dy + h,
                             width + dx:width + dx + w]
            edge |= shifted != label
    return edge


def render_demo_image(seed: int,
                      image_size: int = 128,
                      num_classes: int = len(DEMO_CLASSES)) -> tuple:
    """Render one image, its label map and its objects.

    Args:
        seed (int): Seed of this image; the same seed gives the same image.
        image_size (int): Side of the square image in pixels.
        num_classes (int): Number of foreground classes (at most 5).

    Returns:
        tuple: ``(image uint8 [S, S, 3], label uint8 [S, S], objects)`` where
        ``objects`` is a list of ``(class_index, (x1, y1, x2, y2))`` with
        0-based foreground class indices.
    """
    if not 1 <= num_classes <= len(DEMO_CLASSES):
        raise InputValueError(
            f'num_classes must be in [1, {len(DEMO_CLASSES)}], '
            f'got {num_classes}')
    rng = np.random.default_rng(seed)
    size = image_size
    canvas = 0.25 + 0.5 * _smooth_noise(rng, size, 5)
    canvas += rng.normal(0, 0.04, canvas.shape).astype(np.float32)

    # Clutter: body-like blobs in body hues, with no part.
    for _ in range(rng.integers(2, 5)):
        ay, ax = rng.uniform(0.06, 0.16, 2) * size
        blob = _ellipse(size, rng.uniform(0, size), rng.uniform(0, size), ay,
                        ax, rng.uniform(0, np.pi))
        hue = rng.choice(_BODY_HUES[:num_classes]) + rng.normal(0, 0.04)
        _paint_body(canvas, blob, rng, hue, size)

    label = np.zeros((size, size), dtype=np.uint8)
    num_objects = rng.choice([1, 2, 3], p=[0.4, 0.4, 0.2])
    classes = rng.choice(num_classes, size=num_objects,
                         replace=num_objects > num_classes)
    objects, masks = [], []
    for cls in classes:
        for _attempt in range(20):
            radius = rng.uniform(0.17, 0.27) * size
            ay, ax = radius * rng.uniform(0.75, 1.25, 2)
            cy, cx = rng.uniform(radius * 0.8, size - radius * 0.8, 2)
            body = _ellipse(size, cy, cx, ay, ax, rng.uniform(0, np.pi))
            # Keep most of every earlier object visible.
            if all((m & ~body).sum() >= 0.6 * m.sum() for m in masks):
                break
        part_radius = 0.3 * min(ay, ax)
        direction = rng.uniform(0, 2 * np.pi)
        offset = 0.45 * min(ay, ax)
        py, px = cy + offset * np.sin(direction), cx + offset * np.cos(
            direction)
        part = _ellipse(size, py, px, part_radius, part_radius, 0.0)
        ring = part & ~_ellipse(size, py, px, part_radius * 0.55,
                                part_radius * 0.55, 0.0)

        _paint_body(canvas, body, rng, _BODY_HUES[cls], size)
        canvas[part] = _hsv(_PART_RING_HUES[cls], 0.9, 0.95)
        canvas[part & ~ring] = _hsv(_PART_HUES[cls], 1.0, 1.0)
        obj = body | part
        label[obj] = cls + 1
        masks = [m & ~obj for m in masks] + [obj]
        objects.append(int(cls))

    boxes = []
    for cls, mask in zip(objects, masks):
        ys, xs = np.nonzero(mask)
        boxes.append((cls, (int(xs.min()) + 1, int(ys.min()) + 1,
                            int(xs.max()) + 1, int(ys.max()) + 1)))
    label[_boundary(label)] = 255
    image = (np.clip(canvas, 0, 1) * 255).astype(np.uint8)
    return image, label, boxes


def _voc_xml(img_id, size, boxes, class_names):
    objects = ''.join(
        '  <object>\n'
        f'    <name>{escape(class_names[cls])}</name>\n'
        '    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n'
        '    <difficult>0</difficult>\n'
        f'    <bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin>'
        f'<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox>\n'
        '  </object>\n' for cls, (x1, y1, x2, y2) in boxes)
    return ('<annotation>\n  <folder>VOC2012</folder>\n'
            f'  <filename>{img_id}.jpg</filename>\n'
            f'  <size><width>{size}</width><height>{size}</height>'
            '<depth>3</depth></size>\n'
            f'  <segmented>1</segmented>\n{objects}</annotation>\n')


def make_demo_dataset(data_root: str,
                      num_train: int = 320,
                      num_val: int = 80,
                      image_size: int = 128,
                      num_classes: int = len(DEMO_CLASSES),
                      seed: int = 0) -> Dict[str, List[str]]:
    """Write the demo dataset in PASCAL VOC 2012 layout under ``data_root``.

    Writes ``JPEGImages/<id>.jpg``, ``SegmentationClass/<id>.png`` (palette,
    0 = background, 1..K objects, 255 on object edges),
    ``Annotations/<id>.xml``, ``ImageSets/Segmentation/{train,val}.txt`` and
    ``classes.txt``. The same arguments always give the same files.

    Args:
        data_root (str): Output directory.
        num_train (int): Images in the train split.
        num_val (int): Images in the val split.
        image_size (int): Side of each square image.
        num_classes (int): Foreground classes, at most 5.
        seed (int): Base seed; image ``i`` uses ``seed * 1_000_003 + i``.

    Returns:
        dict: The ids of each split.
    """
    class_names = DEMO_CLASSES[:num_classes]
    for sub in ('JPEGImages', 'SegmentationClass', 'Annotations',
                'ImageSets/Segmentation'):
        os.makedirs(osp.join(data_root, sub), exist_ok=True)
    splits = {'train': [], 'val': []}
    index = 0
    for split, count in (('train', num_train), ('val', num_val)):
        for _ in range(count):
            img_id = f'{split}_{index:05d}'
            image, label, boxes = render_demo_image(
                seed * 1_000_003 + index, image_size, num_classes)
            Image.fromarray(image).save(
                osp.join(data_root, 'JPEGImages', img_id + '.jpg'),
                quality=92)
            save_palette_png(
                label, osp.join(data_root, 'SegmentationClass',
                                img_id + '.png'))
            with open(osp.join(data_root, 'Annotations', img_id + '.xml'),
                      'w') as f:
                f.write(_voc_xml(img_id, image_size, boxes, class_names))
            splits[split].append(img_id)
            index += 1
    for split, ids in splits.items():
        with open(split_file(split, data_root), 'w') as f:
            f.write('\n'.join(ids) + '\n')
    with open(osp.join(data_root, 'classes.txt'), 'w') as f:
        f.write('\n'.join(class_names) + '\n')
    return splits
