"""Grad-CAM and Grad-CAM++ maps of every class, in one batched backward."""
from typing import Optional

import torch
from torch import Tensor

from mmwsss.models.segmentors import CAMClassifier
from mmwsss.models.utils.cam_inference import GRADCAM_NORMS, normalize_maps
from mmwsss.utils.errors import InputKeyError, InputValueError

__all__ = ['GRADCAM_NORMS', 'GradCAM', 'normalize_maps']


class GradCAM:
    """Gradient-weighted class activation maps of a classifier.

    The activations of ``target_layer`` are weighted per channel by the
    spatial mean of the class score's gradient (Grad-CAM, Selvaraju et al.,
    ICCV 2017) or by the positive gradients weighted with Grad-CAM++'s
    closed-form alphas (Chattopadhay et al., WACV 2018). The gradients of all
    classes for all images come from one ``autograd.grad`` call with batched
    grad outputs, not one backward per class per image.

    For a GAP + linear head at the last feature map the Grad-CAM weights are
    the classifier weights over ``h * w``, so Grad-CAM there equals CAM up to
    scale; an earlier ``target_layer`` gives different maps.

    That ``1 / (h * w)`` differs between scales: summed raw over the scales
    of multi-scale inference, a 0.5x map would weigh 16 times as much as a
    2x one. With ``norm='minmax'`` (what CAM files use by default, see
    :func:`~mmwsss.cams.generate.generate_cams`) every forward pass's maps
    (each scale and each flip) are ReLU'd and min-max normalised per map
    before the caller sums them, as pytorch-grad-cam (``BaseCAM.forward``
    under ``aug_smooth``) normalises each augmentation's map with
    ``scale_cam_image`` before averaging them.

    Args:
        model (CAMClassifier): The classifier; ``model._forward`` gives
            logits ``[B, K]``.
        method (str): ``'gradcam'`` or ``'gradcam++'``.
        target_layer (str, optional): Name of the module whose output is
            used (its last element if it returns a tuple); default the
            backbone's output.
        norm (str): Per-map normalisation of each forward pass's maps, one
            of :data:`GRADCAM_NORMS`: ``'minmax'`` (pytorch-grad-cam's),
            ``'max'``, or ``'none'`` (raw maps, ReLU left to the caller).
            Default: ``'none'``.
    """

    def __init__(self,
                 model: CAMClassifier,
                 method: str = 'gradcam',
                 target_layer: Optional[str] = None,
                 norm: str = 'none') -> None:
        if method not in ('gradcam', 'gradcam++'):
            raise InputValueError(
                f"method must be 'gradcam' or 'gradcam++', got {method!r}")
        if norm not in GRADCAM_NORMS:
            raise InputValueError(f'Grad-CAM normalisation must be one of '
                                  f'{GRADCAM_NORMS}, got {norm!r}')
        self.model = model
        self.method = method
        self.norm = norm
        name = target_layer or 'backbone'
        try:
            self.layer = model.get_submodule(name)
        except AttributeError:
            raise InputKeyError(f'target layer {name!r} is not a module of '
                                f'{type(model).__name__}') from None

    def __call__(self, images: Tensor) -> Tensor:
        """Maps ``[B, K, h, w]`` of every class: ReLU'd and normalised per
        map, or with ``norm='none'`` raw (ReLU left to the caller)."""
        captured = {}

        def hook(module, args, output):
            if isinstance(output, (tuple, list)):
                output = output[-1]
            captured['activation'] = output

        handle = self.layer.register_forward_hook(hook)
        try:
            with torch.enable_grad():
                images = images.detach().requires_grad_()
                logits = self.model._forward(images)
                activation = captured['activation']
                num_classes = logits.shape[1]
                one_hot = torch.eye(num_classes, device=logits.device,
                                    dtype=logits.dtype)
                grad_outputs = one_hot[:, None, :].expand(
                    num_classes, *logits.shape)
                grads, = torch.autograd.grad(
                    logits,
                    activation,
                    grad_outputs=grad_outputs,
                    is_grads_batched=True)
        finally:
            handle.remove()
        activation = activation.detach()
        grads = grads.transpose(0, 1)  # [B, K, C, h, w]
        if self.method == 'gradcam':
            weights = grads.mean(dim=(3, 4))
        else:
            grads2 = grads.pow(2)
            grads3 = grads2 * grads
            total = activation.sum(dim=(2, 3))[:, None, :, None, None]
            denominator = 2 * grads2 + total * grads3
            defined = denominator != 0
            alphas = (grads2 / denominator.where(defined, 1.0)).where(
                defined, 0.0)
            weights = (alphas * grads.relu()).sum(dim=(3, 4))
        maps = torch.einsum('bkc,bchw->bkhw', weights, activation)
        if self.norm == 'none':
            return maps
        return normalize_maps(maps.relu(), self.norm)
