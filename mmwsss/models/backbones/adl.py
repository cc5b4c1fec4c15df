import torch
import torch.nn as nn
from mmseg.registry import MODELS
from torch import Tensor

from mmwsss.utils.errors import InputValueError


@MODELS.register_module()
class ADL(nn.Module):
    """Attention-based Dropout Layer.

    The self-attention map is the channel mean of the features. In training,
    one Bernoulli draw per forward picks, with probability ``drop_rate``, the
    drop mask (attention below ``threshold`` times each sample's maximum),
    else the importance map (sigmoid of the attention), and the features are
    multiplied by it. Hiding the most discriminative part makes the network
    look at the rest of the object. Identity in eval mode; no parameters.

    From "Attention-based Dropout Layer for Weakly Supervised Object
    Localization" (Choe & Shim, CVPR 2019), as in clovaai/wsolevaluation.

    Args:
        drop_rate (float): Probability of using the drop mask.
        threshold (float): Drop positions above this fraction of the max.
    """

    def __init__(self,
                 drop_rate: float = 0.75,
                 threshold: float = 0.9) -> None:
        super().__init__()
        if not 0 <= drop_rate <= 1:
            raise InputValueError(
                f'drop_rate must be in [0, 1], got {drop_rate}')
        if not 0 <= threshold <= 1:
            raise InputValueError(
                f'threshold must be in [0, 1], got {threshold}')
        self.drop_rate = drop_rate
        self.threshold = threshold

    def attention(self, x: Tensor) -> Tensor:
        return x.mean(dim=1, keepdim=True)

    def drop_mask(self, attention: Tensor) -> Tensor:
        peak = attention.flatten(1).max(dim=1).values.view(-1, 1, 1, 1)
        return (attention < peak * self.threshold).to(attention)

    def importance_map(self, attention: Tensor) -> Tensor:
        return attention.sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        if not self.training:
            return x
        attention = self.attention(x)
        if torch.rand(()) < self.drop_rate:
            mask = self.drop_mask(attention)
        else:
            mask = self.importance_map(attention)
        return x * mask

    def extra_repr(self) -> str:
        return f'drop_rate={self.drop_rate}, threshold={self.threshold}'
