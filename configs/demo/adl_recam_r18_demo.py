# ADL backbone + ReCAM head: the demo CAM checkpoint loads into the ADL
# backbone unchanged and is fine-tuned with the ReCAM loss.
_base_ = './recam_r18_demo.py'
model = dict(
    backbone=dict(
        type='ADLResNetV1c',
        adl_positions=((2, 0), (3, 0), (3, -1)),
        adl_drop_rate=0.75,
        adl_threshold=0.9))
