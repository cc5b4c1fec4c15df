# Class-specific erasing (OC-CSE, Kweon et al., ICCV 2021) on IRN's CAM
# recipe (../cam/cam_r50_voc.py: stem, layer1 and layer2 frozen, BN
# statistics fixed, 512 crops, 1 GPU x 16, 5 epochs, lr 0.1 / 1.0): only
# the erasing and its loss are OC-CSE's. The ordinary classifier is the CAM
# classifier of ../cam/cam_r50_voc.py. OC-CSE's own recipe is
# cse_r50_voc.py.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    type='CSEClassifier',
    ordinary_classifier=dict(
        backbone=dict(
            type='ResNet',
            depth=50,
            num_stages=4,
            out_indices=(3, ),
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 1),
            norm_cfg=dict(type='BN', requires_grad=False),
            norm_eval=True,
            style='pytorch'),
        cam_head=dict(type='CAMHead', in_channels=2048, num_classes=20)),
    ordinary_checkpoint='work_dirs/cam_r50_voc/epoch_5.pth',
    erasing='class_specific',
    loss_weight_base=0.3,
    loss_weight_slope=0.05,
    mask_norm='batch')
