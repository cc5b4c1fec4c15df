"""Krähenbühl & Koltun's fully connected CRF over class probabilities."""
import numpy as np

from mmwsss.utils.errors import InputValueError


def dense_crf(image: np.ndarray,
              probs: np.ndarray,
              iterations: int = 10,
              gaussian_sxy: float = 3,
              gaussian_compat: float = 3,
              bilateral_sxy: float = 80,
              bilateral_srgb: float = 13,
              bilateral_compat: float = 10) -> np.ndarray:
    """Mean-field posterior of a dense CRF (Krähenbühl & Koltun, NeurIPS
    2011, through pydensecrf) whose unary is ``-log`` of ``probs`` as given
    (``unary_from_softmax``), with a Gaussian and a bilateral kernel (the
    form of PSA's ``crf_inference`` and of ToCo's and DeepLab's
    ``DenseCRF``).

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 RGB image.
        probs (np.ndarray): ``[n, H, W]`` non-negative scores.
        iterations (int): Mean-field steps.
        gaussian_sxy (float): Spatial std of the Gaussian kernel.
        gaussian_compat (float): Its weight.
        bilateral_sxy (float): Spatial std of the bilateral kernel.
        bilateral_srgb (float): Its colour std.
        bilateral_compat (float): Its weight.

    Returns:
        np.ndarray: ``[n, H, W]`` float32 posterior.
    """
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax

    n, h, w = probs.shape
    if image.shape[:2] != (h, w):
        raise InputValueError(f'image {image.shape[:2]} and scores {(h, w)} '
                              'differ in size')
    crf = dcrf.DenseCRF2D(w, h, n)
    crf.setUnaryEnergy(
        np.ascontiguousarray(unary_from_softmax(probs.astype(np.float32))))
    crf.addPairwiseGaussian(sxy=gaussian_sxy, compat=gaussian_compat)
    crf.addPairwiseBilateral(
        sxy=bilateral_sxy,
        srgb=bilateral_srgb,
        rgbim=np.ascontiguousarray(image, dtype=np.uint8),
        compat=bilateral_compat)
    q = np.array(crf.inference(iterations), dtype=np.float32)
    return q.reshape(n, h, w)
