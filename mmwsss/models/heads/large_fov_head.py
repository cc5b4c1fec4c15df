"""The LargeFOV segmentation head of ToCo's decoder."""
import torch.nn as nn
from mmengine.model import BaseModule
from mmseg.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class LargeFOVHead(BaseModule):
    """DeepLab-LargeFOV's classifier as ToCo's decoder (Ru et al., CVPR
    2023, ``model/decoder/conv_head.py``; after Chen et al., "Semantic Image
    Segmentation with Deep Convolutional Nets and Fully Connected CRFs",
    ICLR 2015): two dilated 3x3 convolutions with ReLU and a 1x1
    classifier, all without bias (ToCo's convolution helpers have none), on
    the backbone's last feature map.

    Args:
        in_channels (int): Input width (ViT-B: 768).
        num_classes (int): Classes, background included.
        channels (int): Hidden width (512).
        dilation (int): Dilation (and padding) of the 3x3 convolutions (5).
        init_cfg (dict, optional): Initialisation; default PyTorch's, as
            ToCo (its ``_init_weights`` is never called).
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 channels: int = 512,
                 dilation: int = 5,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.conv6 = nn.Conv2d(
            in_channels, channels, 3, padding=dilation, dilation=dilation,
            bias=False)
        self.conv7 = nn.Conv2d(
            channels, channels, 3, padding=dilation, dilation=dilation,
            bias=False)
        self.conv8 = nn.Conv2d(channels, num_classes, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """``[B, num_classes, h, w]`` logits of a ``[B, C, h, w]`` map."""
        return self.conv8(self.relu(self.conv7(self.relu(self.conv6(x)))))
