# AffinityNet (Ahn & Kwak, CVPR 2018) on an ImageNet ResNet-50 in
# torchvision layout at output stride 8 (PSA uses ResNet-38; see
# configs/affinitynet/README.md): layer2..4 feed the affinity branch.
# PSA freezes every BatchNorm (statistics and affine) and its first blocks
# (conv1a, b2, b2_1, b2_2: the stem and the first stage here).
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    # PSA's RandomCrop fills with 0 (after normalisation) and its label
    # with no score, i.e. unsure.
    pad_val=0,
    seg_pad_val=255,
    size=(448, 448))
model = dict(
    type='AffinityNet',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        frozen_stages=1,
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    affinity_head=dict(
        type='AffinityHead',
        in_channels=(512, 1024, 2048),
        channels=(64, 128, 256),
        num_classes=21,
        radius=5,
        label_stride=8),
    test_cfg=dict(stride=8))
