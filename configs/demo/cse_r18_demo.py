# Class-specific erasing on the demo data: a CAM network trained from
# scratch against the frozen demo CAM classifier (run_pipeline trains it
# first and passes its checkpoint as model.ordinary_checkpoint).
_base_ = './cam_r18_demo.py'
model = dict(
    type='CSEClassifier',
    ordinary_classifier=dict(
        backbone=dict(
            type='ResNetV1c',
            depth=18,
            stem_channels=32,
            base_channels=32,
            out_indices=(3, ),
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 1),
            contract_dilation=True),
        cam_head=dict(type='CAMHead', in_channels=256, num_classes=5)),
    ordinary_checkpoint=None,
    erasing='class_specific',
    loss_weight_base=0.3,
    loss_weight_slope=0.05)
