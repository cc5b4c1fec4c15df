from mmseg.registry import MODELS

from .adl_resnet import ADLResNet


@MODELS.register_module()
class ADLResNetV1c(ADLResNet):
    """ResNetV1c (deep 3x3 stem) with Attention-based Dropout Layers after
    chosen blocks: :class:`ADLResNet` built as mmseg's ``ResNetV1c`` builds
    ``ResNet`` (``deep_stem=True, avg_down=False``), so that
    ``open-mmlab://resnet50_v1c`` and ``ResNetV1c`` CAM checkpoints load
    unchanged.

    From "Attention-based Dropout Layer for Weakly Supervised Object
    Localization" (Choe & Shim, CVPR 2019).

    Args:
        **kwargs: See :class:`ADLResNet`.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(deep_stem=True, avg_down=False, **kwargs)
