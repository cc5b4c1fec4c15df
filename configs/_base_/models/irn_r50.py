# IRN's class-boundary network (Ahn et al., CVPR 2019): an ImageNet
# ResNet-50 in torchvision layout at output stride 16 (IRN's strides
# 2, 2, 2, 1 for conv1 and layer2..4) that only supplies features (frozen,
# BN in eval mode), and the boundary head on its five levels.
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    # IRN's random_crop fills the image with 0 after normalisation and the
    # label with 255 (unsure): pairs on the padding are left out.
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    type='IRNBoundaryNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    boundary_head=dict(
        type='IRNBoundaryHead',
        in_channels=(64, 256, 512, 1024, 2048),
        channels=32,
        num_groups=4,
        num_classes=21,
        ignore_index=255,
        radius=10),
    test_cfg=dict(crop_size=512))
