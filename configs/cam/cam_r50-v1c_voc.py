# IRN's CAM recipe (cam_r50_voc.py) on mmseg's ResNetV1c-50 (three 3x3 stem
# convs) with open-mmlab's ImageNet weights instead of torchvision's
# ResNet-50. frozen_stages=2 freezes the deep stem, layer1 and layer2.
_base_ = './cam_r50_voc.py'
model = dict(
    backbone=dict(
        type='ResNetV1c',
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')))
