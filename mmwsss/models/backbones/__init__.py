from .adl import ADL
from .adl_resnet import ADLResNet
from .adl_resnet_v1c import ADLResNetV1c
from .any_grid_vision_transformer import AnyGridVisionTransformer
from .clip_vision_transformer import CLIPVisionTransformer

__all__ = [
    'ADL', 'ADLResNet', 'ADLResNetV1c', 'AnyGridVisionTransformer',
    'CLIPVisionTransformer'
]
