# Class-specific adversarial erasing (OC-CSE, Kweon et al., ICCV 2021): a CAM
# network trained against a frozen ordinary classifier, here the CAM
# classifier of configs/cam/cam_r50_voc.py.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    type='CSEClassifier',
    ordinary_classifier=dict(
        backbone=dict(
            type='ResNetV1c',
            depth=50,
            out_indices=(3, ),
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 1),
            norm_cfg=dict(type='BN', requires_grad=False),
            norm_eval=True,
            contract_dilation=True),
        cam_head=dict(type='CAMHead', in_channels=2048, num_classes=20)),
    ordinary_checkpoint='work_dirs/cam_r50_voc/epoch_5.pth',
    erasing='class_specific',
    loss_weight_base=0.3,
    loss_weight_slope=0.05)
