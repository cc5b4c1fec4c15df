"""Grad-CAM and Grad-CAM++ maps of every class, in one batched backward."""
import torch


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

    Args:
        model (CAMClassifier): The classifier; ``model._forward`` gives
            logits ``[B, K]``.
        method (str): ``'gradcam'`` or ``'gradcam++'``.
        target_layer (str, optional): Name of the module whose output is
            used (its last element if it returns a tuple); default the
            backbone's output.
    """

    def __init__(self, model, method='gradcam', target_layer=None):
        if method not in ('gradcam', 'gradcam++'):
            raise ValueError(
                f"method must be 'gradcam' or 'gradcam++', got {method!r}")
        self.model = model
        self.method = method
        name = target_layer or 'backbone'
        try:
            self.layer = model.get_submodule(name)
        except AttributeError:
            raise KeyError(f'target layer {name!r} is not a module of '
                           f'{type(model).__name__}') from None

    def __call__(self, images):
        """Raw maps ``[B, K, h, w]`` (ReLU is left to the caller)."""
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
        return torch.einsum('bkc,bchw->bkhw', weights, activation)
