"""Label maps from normalised CAMs: background scores, argmax labels and
IRN's confident regions."""
import numpy as np

from .crf import crf_refine_labels, crf_refine_scores

IGNORE_INDEX = 255


def background_score(cams, mode='constant', threshold=0.15, alpha=16.0):
    """Background score of every pixel.

    Args:
        cams (np.ndarray): ``[n, H, W]`` CAMs in [0, 1].
        mode (str): ``'constant'`` (``threshold`` everywhere) or ``'power'``
            (PSA's ``(1 - max_c CAM_c) ** alpha``, Ahn & Kwak, CVPR 2018).
        threshold (float): Constant score.
        alpha (float): Exponent of the power form.

    Returns:
        np.ndarray: ``[H, W]`` float32.
    """
    shape = cams.shape[1:]
    if mode == 'constant':
        return np.full(shape, threshold, dtype=np.float32)
    if mode == 'power':
        peak = cams.max(axis=0) if cams.shape[0] else np.zeros(shape)
        return np.power(1 - peak, alpha).astype(np.float32)
    raise ValueError(f"background mode must be 'constant' or 'power', got "
                     f'{mode!r}')


def _argmax_with_background(cams, bg):
    """Index map: 0 = background, i + 1 = the i-th CAM."""
    return np.concatenate([bg[None], cams]).argmax(axis=0)


def to_class_labels(index_map, keys):
    """Class labels of an index map over ``[background, *maps]``: 0 stays
    background, index ``i + 1`` becomes class ``keys[i] + 1``."""
    lookup = np.concatenate([[0], np.asarray(keys, dtype=np.int64) + 1])
    return lookup[index_map]


def label_from_cams(cams, keys, bg_mode='constant', bg_threshold=0.15,
                    alpha=16.0, image=None, crf=None):
    """Pseudo label from CAMs: argmax over background score and CAMs,
    optionally refined by a dense CRF on ``image``.

    Returns:
        np.ndarray: ``[H, W]`` uint8, 0 = background, ``k + 1`` = class k.
    """
    bg = background_score(cams, bg_mode, bg_threshold, alpha)
    index = _argmax_with_background(cams, bg)
    if crf is not None:
        index = crf_refine_labels(image, index, len(keys) + 1, **crf)
    return to_class_labels(index, keys).astype(np.uint8)


def confident_region_label(cams, keys, fg_threshold=0.30,
                           bg_threshold=0.05, image=None, crf=None):
    """IRN's confident regions: foreground where a CAM beats
    ``fg_threshold``, background where every CAM is below ``bg_threshold``,
    255 (ignore) in between. Both maps are CRF-refined when ``crf`` is given
    (IRN's ``cam_to_ir_label``).

    Returns:
        np.ndarray: ``[H, W]`` uint8 with 255 for unsure pixels.
    """
    if fg_threshold < bg_threshold:
        raise ValueError(f'fg_threshold {fg_threshold} is below '
                         f'bg_threshold {bg_threshold}')
    shape = cams.shape[1:]
    maps = []
    for threshold in (fg_threshold, bg_threshold):
        index = _argmax_with_background(
            cams, np.full(shape, threshold, dtype=np.float32))
        if crf is not None:
            index = crf_refine_labels(image, index, len(keys) + 1, **crf)
        maps.append(to_class_labels(index, keys))
    fg, bg = maps
    label = fg.copy()
    label[fg == 0] = IGNORE_INDEX
    label[(fg == 0) & (bg == 0)] = 0
    return label.astype(np.uint8)


def psa_affinity_label(cams, keys, image, low_alpha=4.0, high_alpha=32.0,
                       crf=None):
    """AffinityNet's training label (PSA's ``infer_cls.py`` ``la_crf`` /
    ``ha_crf`` maps combined as its ``VOC12AffDataset``): the CAMs with the
    power background ``(1 - max CAM) ** alpha``, CRF-refined, once with a
    strong background (``low_alpha``) and once with a weak one
    (``high_alpha``). Foreground where the strong-background map still says
    foreground, background where even the weak-background map says
    background, 255 between.

    Args:
        cams (np.ndarray): ``[n, H, W]`` CAMs in [0, 1].
        keys (Sequence[int]): Their 0-based classes.
        image (np.ndarray): ``[H, W, 3]`` uint8 image.
        low_alpha (float): PSA: 4.
        high_alpha (float): PSA: 32.
        crf (dict, optional): Overrides of ``PSA_CRF_DEFAULTS``.

    Returns:
        np.ndarray: ``[H, W]`` uint8 with 255 for unsure pixels.
    """
    if low_alpha > high_alpha:
        raise ValueError(f'low_alpha {low_alpha} is above high_alpha '
                         f'{high_alpha}')
    maps = []
    for alpha in (low_alpha, high_alpha):
        scores = np.concatenate(
            [background_score(cams, 'power', alpha=alpha)[None], cams])
        index = crf_refine_scores(image, scores, **(crf or {})).argmax(0)
        maps.append(to_class_labels(index, keys))
    strong_bg, weak_bg = maps
    label = strong_bg.copy()
    label[strong_bg == 0] = IGNORE_INDEX
    label[weak_bg == 0] = 0
    return label.astype(np.uint8)
