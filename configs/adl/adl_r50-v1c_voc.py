# ADL (adl_r50_voc.py) on mmseg's ResNetV1c-50 with open-mmlab's ImageNet
# weights.
_base_ = './adl_r50_voc.py'
model = dict(
    backbone=dict(
        type='ADLResNetV1c',
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')))
