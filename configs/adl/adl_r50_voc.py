# CAM classifier on an ADL-injected ResNet-50 (Choe & Shim, CVPR 2019): the
# layout and settings of wsolevaluation's ResNetAdl (ADL after block 0 of
# layer3 and blocks 0 and 2 of layer4, drop rate 0.75, threshold 0.9) in
# IRN's CAM recipe (../cam/cam_r50_voc.py): ADL is a WSOL method and has no
# official WSSS recipe. torchvision's ImageNet weights load unchanged.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    backbone=dict(
        type='ADLResNet',
        adl_positions=((2, 0), (3, 0), (3, -1)),
        adl_drop_rate=0.75,
        adl_threshold=0.9))
