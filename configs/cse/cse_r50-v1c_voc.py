# OC-CSE's recipe (cse_r50_voc.py) with both networks on mmseg's
# ResNetV1c-50: the CAM network from open-mmlab's ImageNet weights, the
# ordinary classifier from the CAM classifier of
# ../cam/cam_r50-v1c_voc.py.
_base_ = './cse_r50_voc.py'
model = dict(
    backbone=dict(
        type='ResNetV1c',
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    ordinary_classifier=dict(backbone=dict(type='ResNetV1c')),
    ordinary_checkpoint='work_dirs/cam_r50-v1c_voc/epoch_5.pth')
