"""Dense CRF refinement of label maps (Krähenbühl & Koltun, NeurIPS 2011),
with the settings IRN and ReCAM use."""
import numpy as np

from mmwsss.models.utils.dense_crf import dense_crf
from mmwsss.utils.errors import InputKeyError, InputValueError

CRF_DEFAULTS = dict(
    iterations=10,
    gt_prob=0.7,
    gaussian_sxy=3,
    gaussian_compat=3,
    bilateral_sxy=50,
    bilateral_srgb=5,
    bilateral_compat=10)


def crf_refine_labels(image: np.ndarray, labels: np.ndarray,
                      num_labels: int, **settings) -> np.ndarray:
    """Refine a label map with a fully connected CRF.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 image.
        labels (np.ndarray): ``[H, W]`` integer map in ``[0, num_labels)``.
        num_labels (int): Number of labels.
        **settings: Overrides of :data:`CRF_DEFAULTS`.

    Returns:
        np.ndarray: ``[H, W]`` int64 refined labels.
    """
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_labels

    cfg = dict(CRF_DEFAULTS, **settings)
    unknown = set(settings) - set(CRF_DEFAULTS)
    if unknown:
        raise InputKeyError(
            f'unknown CRF settings {sorted(unknown)}; expected '
            f'{sorted(CRF_DEFAULTS)}')
    h, w = labels.shape
    if image.shape[:2] != (h, w):
        raise InputValueError(f'image {image.shape[:2]} and labels {(h, w)} '
                              'differ in size')
    if num_labels < 2:
        return np.zeros((h, w), dtype=np.int64)
    crf = dcrf.DenseCRF2D(w, h, num_labels)
    unary = unary_from_labels(
        labels.astype(np.int64), num_labels, gt_prob=cfg['gt_prob'],
        zero_unsure=False)
    crf.setUnaryEnergy(np.ascontiguousarray(unary))
    crf.addPairwiseGaussian(
        sxy=cfg['gaussian_sxy'], compat=cfg['gaussian_compat'])
    crf.addPairwiseBilateral(
        sxy=cfg['bilateral_sxy'],
        srgb=cfg['bilateral_srgb'],
        rgbim=np.ascontiguousarray(image, dtype=np.uint8),
        compat=cfg['bilateral_compat'])
    q = np.array(crf.inference(cfg['iterations']))
    return q.reshape(num_labels, h, w).argmax(axis=0).astype(np.int64)


#: PSA's ``tool/imutils.py`` ``crf_inference`` settings.
PSA_CRF_DEFAULTS = dict(
    iterations=10,
    gaussian_sxy=3,
    gaussian_compat=3,
    bilateral_sxy=80,
    bilateral_srgb=13,
    bilateral_compat=10)


def crf_refine_scores(image: np.ndarray, scores: np.ndarray,
                      **settings) -> np.ndarray:
    """Dense CRF over score maps as PSA's ``crf_inference``: the unary is
    ``-log`` of the scores as given (``unary_from_softmax``; PSA passes its
    background and CAM scores without normalising them).

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 image.
        scores (np.ndarray): ``[n, H, W]`` non-negative scores.
        **settings: Overrides of :data:`PSA_CRF_DEFAULTS`.

    Returns:
        np.ndarray: ``[n, H, W]`` float32 posterior.
    """
    unknown = set(settings) - set(PSA_CRF_DEFAULTS)
    if unknown:
        raise InputKeyError(
            f'unknown CRF settings {sorted(unknown)}; expected '
            f'{sorted(PSA_CRF_DEFAULTS)}')
    return dense_crf(image, scores, **dict(PSA_CRF_DEFAULTS, **settings))
