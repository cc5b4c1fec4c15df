"""The projection head of ToCo's class token contrast."""
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class TokenProjectionHead(BaseModule):
    """DINO's projection head (Caron et al., ICCV 2021) as ToCo's
    ``CTCHead`` (Ru et al., CVPR 2023): an MLP with GELU to a bottleneck,
    L2 normalisation, and a weight-normalised linear layer without bias
    whose norms are fixed at 1 (``norm_last_layer``).

    Args:
        in_channels (int): Token width (ViT-B: 768).
        out_channels (int): Output width (ToCo: 1024).
        hidden_channels (int): MLP width (2048).
        bottleneck_channels (int): Before normalisation (256).
        num_layers (int): Linear layers of the MLP (3).
        norm_last_layer (bool): Freeze the last layer's norms at 1.
        init_cfg (dict, optional): Initialisation; without one, the MLP's
            linear layers get a truncated normal of std 0.02 and zero bias
            and the last layer keeps PyTorch's, as DINO and ToCo.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int = 1024,
                 hidden_channels: int = 2048,
                 bottleneck_channels: int = 256,
                 num_layers: int = 3,
                 norm_last_layer: bool = True,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        num_layers = max(num_layers, 1)
        if num_layers == 1:
            self.mlp = nn.Linear(in_channels, bottleneck_channels)
        else:
            layers = [nn.Linear(in_channels, hidden_channels), nn.GELU()]
            for _ in range(num_layers - 2):
                layers += [nn.Linear(hidden_channels, hidden_channels),
                           nn.GELU()]
            layers.append(nn.Linear(hidden_channels, bottleneck_channels))
            self.mlp = nn.Sequential(*layers)
        self.last_layer = nn.utils.weight_norm(
            nn.Linear(bottleneck_channels, out_channels, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        if norm_last_layer:
            self.last_layer.weight_g.requires_grad = False

    def init_weights(self) -> None:
        if self.init_cfg is not None:
            return super().init_weights()
        # Only the MLP: the weight-normalised layer keeps PyTorch's
        # direction and norms of 1, as DINO's head.
        for module in self.mlp.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def forward(self, x: Tensor) -> Tensor:
        """``[N, out_channels]`` projections of ``[N, in_channels]``."""
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))
