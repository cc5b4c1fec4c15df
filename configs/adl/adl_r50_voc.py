# CAM classifier on an ADL-injected ResNet-50 (Choe & Shim, CVPR 2019);
# ImageNet weights load into it unchanged.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    backbone=dict(
        type='ADLResNetV1c',
        adl_positions=((2, 0), (3, 0), (3, -1)),
        adl_drop_rate=0.75,
        adl_threshold=0.9))
