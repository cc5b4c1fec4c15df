# DeepLabV3+ on pseudo labels (the WSSS papers report DeepLab-v2: see
# configs/deeplabv2): ResNetV1c-50 d8, ImageNet init, mmseg's VOC 20k
# schedule.
_base_ = [
    'mmseg::_base_/models/deeplabv3plus_r50-d8.py',
    '../_base_/datasets/voc12_pseudo.py', 'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
crop_size = (512, 512)
model = dict(
    pretrained=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21))
