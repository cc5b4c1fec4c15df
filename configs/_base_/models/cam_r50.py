# CAM classifier as IRN builds it (net/resnet50.py, net/resnet50_cam.py):
# torchvision's ResNet-50 (7x7 stem, stride on the 3x3 conv) with IRN's
# strides 2, 2, 2, 1 for conv1 and layer2..4, i.e. mmseg strides
# (1, 2, 2, 1) for layer1..4: output stride 16. ImageNet weights from
# torchvision, as IRN loads resnet50-19c8e357.pth.
# IRN's FixedBatchNorm normalises with the running statistics and never
# updates them, but its gamma and beta stay trainable: norm_eval=True with
# requires_grad=True. IRN freezes conv1/bn1 and detaches the output of
# layer2, so no gradient reaches the stem, layer1 or layer2 (their BN affine
# parameters included): frozen_stages=2. GAP and a bias-free 1x1 classifier,
# multi-label BCE (multilabel_soft_margin_loss).
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(512, 512))
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 1),
        frozen_stages=2,
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50')),
    cam_head=dict(type='CAMHead', in_channels=2048, num_classes=20),
    # IRN's make_cam scales and flip; seeds at cam_eval_thres 0.15
    # (run_sample.py).
    test_cfg=dict(
        scales=(1.0, 0.5, 1.5, 2.0),
        flip=True,
        bg_threshold=0.15,
        output_stride=16))
