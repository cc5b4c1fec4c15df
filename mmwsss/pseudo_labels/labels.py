"""Label maps from normalised CAMs: background scores, argmax labels,
saliency-guided labels and IRN's confident regions."""
from typing import Optional, Sequence

import numpy as np

from mmwsss.utils.errors import InputValueError

from .crf import crf_refine_labels, crf_refine_scores
from .defaults import PSEUDO_LABEL_DEFAULTS as _DEFAULTS

IGNORE_INDEX = 255

#: The unsure-pixel rules of OAA's proxy labels (``gen_gt.py``, Jiang et
#: al., ICCV 2019): pixels where more than one score (background
#: included) exceeds ``conflict_threshold``, and pixels labelled background
#: that are salient (saliency at least ``uncertain_saliency``, OAA's 32 of
#: 255) or that a CAM above ``uncertain_cam`` claims, become 255; an image
#: whose foreground covers less than ``min_foreground_ratio`` of it is
#: ignored whole. ``None`` (or 0 for the ratio) turns a rule off.
SALIENCY_DEFAULTS = dict(
    conflict_threshold=0.9,
    uncertain_saliency=32 / 255,
    uncertain_cam=0.8,
    min_foreground_ratio=0.01)


def background_score(cams: np.ndarray,
                     mode: str = 'constant',
                     threshold: float = 0.15,
                     alpha: float = 16.0) -> np.ndarray:
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
    raise InputValueError(
        f"background mode must be 'constant' or 'power', got "
        f'{mode!r}')


def _argmax_with_background(cams, bg):
    """Index map: 0 = background, i + 1 = the i-th CAM; a tie goes to the
    background, then to the first CAM. With a constant ``bg`` this is the
    rule of :func:`mmwsss.cams.cams_to_label`, which labels seeds in
    ``predict`` and in seed evaluation (tests/test_pseudo_labels.py checks
    that the two agree)."""
    return np.concatenate([bg[None], cams]).argmax(axis=0)


def to_class_labels(index_map: np.ndarray,
                    keys: Sequence[int]) -> np.ndarray:
    """Class labels of an index map over ``[background, *maps]``: 0 stays
    background, index ``i + 1`` becomes class ``keys[i] + 1``."""
    lookup = np.concatenate([[0], np.asarray(keys, dtype=np.int64) + 1])
    return lookup[index_map]


def label_from_cams(cams: np.ndarray,
                    keys: Sequence[int],
                    bg_mode: str = 'constant',
                    bg_threshold: float = 0.15,
                    alpha: float = 16.0,
                    image: Optional[np.ndarray] = None,
                    crf: Optional[dict] = None) -> np.ndarray:
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


def saliency_label(cams: np.ndarray,
                   keys: Sequence[int],
                   saliency: np.ndarray,
                   bg_threshold: float = 0.30,
                   conflict_threshold: Optional[float] = 0.9,
                   uncertain_saliency: Optional[float] = 32 / 255,
                   uncertain_cam: Optional[float] = 0.8,
                   min_foreground_ratio: float = 0.01,
                   image: Optional[np.ndarray] = None,
                   crf: Optional[dict] = None) -> np.ndarray:
    """Pseudo label with a saliency map as the background cue.

    The saliency-guided proxy labels of OAA (Jiang et al., "Integral Object
    Mining via Online Attention Accumulation", ICCV 2019; its
    ``gen_gt.py``), which DRS (Kim et al., AAAI 2021,
    ``pseudo_seg_label_gen.py``) reuses with other constants, after the
    background cue of Oh et al. (CVPR 2017) and SEC (Kolesnikov & Lampert,
    ECCV 2016): the background score of a pixel is ``1 - saliency``, every
    score (background included) below ``bg_threshold`` is dropped, and the
    label is the argmax of what is left (background where nothing is).
    A class thus needs its CAM to reach the constant threshold *and* to
    beat the non-saliency. Then OAA's unsure pixels become 255 (see
    :data:`SALIENCY_DEFAULTS`).

    With a saliency of 1 everywhere and the unsure rules off, this is the
    constant-background argmax of :func:`label_from_cams`.

    Args:
        cams (np.ndarray): ``[n, H, W]`` CAMs in [0, 1].
        keys (Sequence[int]): Their 0-based classes.
        saliency (np.ndarray): ``[H, W]`` saliency in [0, 1].
        bg_threshold (float): Scores below it are dropped (OAA: 0.3, DRS:
            0.2).
        conflict_threshold (float, optional): See :data:`SALIENCY_DEFAULTS`.
        uncertain_saliency (float, optional): See :data:`SALIENCY_DEFAULTS`.
        uncertain_cam (float, optional): See :data:`SALIENCY_DEFAULTS`.
        min_foreground_ratio (float): See :data:`SALIENCY_DEFAULTS`.
        image (np.ndarray, optional): ``[H, W, 3]`` uint8 image for ``crf``.
        crf (dict, optional): Dense CRF settings; the CRF refines the
            argmax before unsure pixels are marked. OAA uses none.

    Returns:
        np.ndarray: ``[H, W]`` uint8, 0 = background, ``k + 1`` = class k,
        255 = unsure.
    """
    saliency = np.asarray(saliency, dtype=np.float32)
    if saliency.shape != cams.shape[1:]:
        raise InputValueError(f'saliency {saliency.shape} and CAMs '
                              f'{cams.shape[1:]} differ in size')
    scores = np.concatenate([(1 - saliency)[None], cams]).astype(np.float32)
    scores[scores < bg_threshold] = 0
    index = scores.argmax(axis=0)
    if crf is not None:
        index = crf_refine_labels(image, index, len(keys) + 1, **crf)
    label = to_class_labels(index, keys)
    if conflict_threshold is not None:
        label[(scores > conflict_threshold).sum(axis=0) > 1] = IGNORE_INDEX
    if uncertain_saliency is not None:
        salient = saliency >= uncertain_saliency
        if uncertain_cam is not None and len(keys):
            salient |= (cams > uncertain_cam).any(axis=0)
        label[salient & (label == 0)] = IGNORE_INDEX
    foreground = ((label > 0) & (label < IGNORE_INDEX)).sum()
    if foreground < min_foreground_ratio * label.size:
        label[...] = IGNORE_INDEX
    return label.astype(np.uint8)


def confident_region_label(cams: np.ndarray,
                           keys: Sequence[int],
                           fg_threshold: float = _DEFAULTS['fg_threshold'],
                           bg_threshold: float = _DEFAULTS['low_threshold'],
                           image: Optional[np.ndarray] = None,
                           crf: Optional[dict] = None) -> np.ndarray:
    """IRN's confident regions: foreground where a CAM beats
    ``fg_threshold``, background where every CAM is below ``bg_threshold``,
    255 (ignore) in between. Both maps are CRF-refined when ``crf`` is given
    (IRN's ``cam_to_ir_label``).

    Returns:
        np.ndarray: ``[H, W]`` uint8 with 255 for unsure pixels.
    """
    if fg_threshold < bg_threshold:
        raise InputValueError(f'fg_threshold {fg_threshold} is below '
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


def psa_affinity_label(cams: np.ndarray,
                       keys: Sequence[int],
                       image: np.ndarray,
                       low_alpha: float = 4.0,
                       high_alpha: float = 32.0,
                       crf: Optional[dict] = None) -> np.ndarray:
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
        raise InputValueError(f'low_alpha {low_alpha} is above high_alpha '
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


#: CLIP-ES's ``eval_cam_with_crf.py``: its CRF (deeplab-pytorch's
#: ``DenseCRF``) and the confidence below which a pixel is ignored.
CLIP_ES_CRF = dict(
    iterations=10,
    gaussian_sxy=1,
    gaussian_compat=3,
    bilateral_sxy=67,
    bilateral_srgb=3,
    bilateral_compat=4)


def confident_crf_label(cams: np.ndarray,
                        keys: Sequence[int],
                        image: np.ndarray,
                        alpha: float = 1.0,
                        min_confidence: float = 0.95,
                        crf: Optional[dict] = None) -> np.ndarray:
    """CLIP-ES's pseudo masks (Lin et al., CVPR 2023,
    ``eval_cam_with_crf.py``): a dense CRF over the background score
    ``(1 - max CAM) ** alpha`` and the CAMs as they are (not normalised to
    sum 1), its argmax, and 255 where the CRF's highest marginal is below
    ``min_confidence`` (its confidence-guided ignore).

    Args:
        cams (np.ndarray): ``[n, H, W]`` CAMs in [0, 1].
        keys (Sequence[int]): Their 0-based classes.
        image (np.ndarray): ``[H, W, 3]`` uint8 RGB image.
        alpha (float): Background power (CLIP-ES: 1).
        min_confidence (float): Ignored below it (CLIP-ES: 0.95).
        crf (dict, optional): Overrides of :data:`CLIP_ES_CRF`.

    Returns:
        np.ndarray: ``[H, W]`` uint8, 255 = unsure.
    """
    bg = background_score(cams, 'power', alpha=alpha)
    scores = np.concatenate([bg[None], cams]).astype(np.float32)
    prob = crf_refine_scores(image, scores, **dict(CLIP_ES_CRF,
                                                   **(crf or {})))
    label = to_class_labels(prob.argmax(axis=0), keys).astype(np.uint8)
    label[prob.max(axis=0) < min_confidence] = IGNORE_INDEX
    return label
