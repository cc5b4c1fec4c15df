"""The fully connected CRF as SEC calls it (Kolesnikov & Lampert, ECCV
2016): its ``krahenbuhl2013.CRF`` wrapper of Krähenbühl & Koltun's
mean-field inference (NeurIPS 2011, the 2013 code), through pydensecrf,
which wraps the same library."""
import numpy as np

from mmwsss.utils.errors import InputValueError

#: SEC's ``krahenbuhl2013/CRF.py``: a bilateral kernel of weight 10 with
#: spatial std 80 and colour std 13, and a Gaussian kernel of weight 3 with
#: spatial std 3; both spatial stds are divided by ``scale_factor``.
SEC_CRF_KERNELS = dict(
    bilateral_compat=10,
    bilateral_sxy=80.0,
    bilateral_srgb=13.0,
    gaussian_compat=3,
    gaussian_sxy=3.0)


def sec_crf(image: np.ndarray,
            unary: np.ndarray,
            iterations: int = 10,
            scale_factor: float = 1.0) -> np.ndarray:
    """Mean-field posterior of SEC's dense CRF.

    The unary *energy* is ``-unary``: SEC passes the network's raw scores
    (``fc8-SEC``) at training time and log-probabilities at test time; both
    differ from ``log softmax`` by a per-pixel constant, which mean field
    ignores.

    Args:
        image (np.ndarray): ``[H, W, 3]`` uint8 image (the kernel treats
            the three channels alike, so their order does not matter).
        unary (np.ndarray): ``[C, H, W]`` scores (higher = more likely).
        iterations (int): Mean-field iterations (SEC: 10).
        scale_factor (float): Divides the spatial stds: 12 for SEC's
            constrain loss on the 41x41 output of a 321x321 input, 1 for
            its test-time smoothing at full resolution.

    Returns:
        np.ndarray: ``[C, H, W]`` float32 posterior (sums to 1 over C).
    """
    import pydensecrf.densecrf as dcrf

    num_labels, h, w = unary.shape
    if image.shape != (h, w, 3):
        raise InputValueError(f'image {image.shape} must be [{h}, {w}, 3] to '
                              f'match the unary {unary.shape}')
    crf = dcrf.DenseCRF2D(w, h, num_labels)
    crf.setUnaryEnergy(
        np.ascontiguousarray(-unary.reshape(num_labels, -1),
                             dtype=np.float32))
    kernels = SEC_CRF_KERNELS
    # The order of SEC's wrapper: Gaussian first, then bilateral.
    crf.addPairwiseGaussian(
        sxy=kernels['gaussian_sxy'] / scale_factor,
        compat=kernels['gaussian_compat'])
    crf.addPairwiseBilateral(
        sxy=kernels['bilateral_sxy'] / scale_factor,
        srgb=kernels['bilateral_srgb'],
        rgbim=np.ascontiguousarray(image, dtype=np.uint8),
        compat=kernels['bilateral_compat'])
    posterior = np.array(crf.inference(iterations), dtype=np.float32)
    return posterior.reshape(num_labels, h, w)
