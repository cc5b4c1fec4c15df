from typing import Sequence, Tuple

import torch.nn as nn
from mmseg.models.backbones import ResNet
from mmseg.registry import MODELS
from torch import Tensor

from mmwsss.utils.errors import InputValueError

from .adl import ADL


@MODELS.register_module()
class ADLResNet(ResNet):
    """ResNet with Attention-based Dropout Layers after chosen blocks.

    The ADL layers hold no parameters and the residual blocks keep their
    names, so ImageNet checkpoints (``torchvision://resnet50``) and CAM
    checkpoints of the plain ``ResNet`` load unchanged. The blocks of a
    stage run one at a time so that an ADL can follow any of them, as
    wsolevaluation's ``ResNetAdl`` inserts ``ADL`` modules into the
    ``nn.Sequential`` of a stage (``_ADL_POSITION = [[], [], [], [0],
    [0, 2]]``: after block 0 of layer3 and blocks 0 and 2 of layer4).

    From "Attention-based Dropout Layer for Weakly Supervised Object
    Localization" (Choe & Shim, CVPR 2019).

    Args:
        adl_positions (Sequence[tuple[int, int]]): ``(stage, block)`` pairs,
            0-based; block ``-1`` is the stage's last block. Default: after
            block 0 of layer3 and blocks 0 and last of layer4.
        adl_drop_rate (float): See :class:`ADL`.
        adl_threshold (float): See :class:`ADL`.
        **kwargs: See :class:`mmseg.models.backbones.ResNet`.
    """

    def __init__(self,
                 adl_positions: Sequence[Tuple[int, int]] = ((2, 0), (3, 0),
                                                             (3, -1)),
                 adl_drop_rate: float = 0.75,
                 adl_threshold: float = 0.9,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.adl_positions = set()
        for stage, block in adl_positions:
            if not 0 <= stage < len(self.res_layers):
                raise InputValueError(f'ADL stage {stage} does not exist; the '
                                      f'backbone has {len(self.res_layers)}')
            num_blocks = len(getattr(self, self.res_layers[stage]))
            if not -num_blocks <= block < num_blocks:
                raise InputValueError(
                    f'ADL block {block} does not exist in stage '
                    f'{stage} of {num_blocks} blocks')
            self.adl_positions.add((stage, block % num_blocks))
        # One ADL per position: each draws its own Bernoulli choice.
        self.adl_layers = nn.ModuleDict({
            f'{stage}_{block}': ADL(adl_drop_rate, adl_threshold)
            for stage, block in sorted(self.adl_positions)
        })

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        if self.deep_stem:
            x = self.stem(x)
        else:
            x = self.relu(self.norm1(self.conv1(x)))
        x = self.maxpool(x)
        outs = []
        for stage, layer_name in enumerate(self.res_layers):
            for block_index, block in enumerate(getattr(self, layer_name)):
                x = block(x)
                if (stage, block_index) in self.adl_positions:
                    x = self.adl_layers[f'{stage}_{block_index}'](x)
            if stage in self.out_indices:
                outs.append(x)
        return tuple(outs)
