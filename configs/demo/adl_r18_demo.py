# CAM classifier on an ADL-injected ResNet-18, demo data, from scratch.
_base_ = './cam_r18_demo.py'
model = dict(
    backbone=dict(
        type='ADLResNetV1c',
        adl_positions=((2, 0), (3, 0), (3, -1)),
        adl_drop_rate=0.75,
        adl_threshold=0.9))
