# SEC's segmentation network (Kolesnikov & Lampert, ECCV 2016) over a
# ResNet-50 at output stride 8 (41x41 cells for a 321x321 input, SEC's
# output size), with DeepLab-LargeFOV's classifier (fc6 3x3 dilation 12,
# fc7, fc8) as SECHead. BN is frozen: SEC's VGG16 has none, and Caffe's
# DeepLab ResNets fine-tune with frozen statistics.
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(321, 321))
model = dict(
    type='SECSegmentor',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='ResNetV1c',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        dilations=(1, 1, 2, 4),
        strides=(1, 2, 1, 1),
        norm_cfg=norm_cfg,
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnet50_v1c')),
    decode_head=dict(
        type='SECHead',
        in_channels=2048,
        channels=1024,
        num_classes=21,
        dilation=12,
        dropout_ratio=0.5,
        decay_fg=0.996,
        decay_bg=0.999,
        decay_positions=41 * 41,
        crf_scale_factor=12.0,
        crf_iterations=10),
    train_cfg=dict(),
    # SEC's deploy/demo.py: softmax, resize to the image, floor 1e-5, CRF
    # with scale factor 1, argmax over all classes.
    test_cfg=dict(
        mode='whole',
        crf=True,
        crf_scale_factor=1.0,
        crf_iterations=10,
        prob_floor=1e-5,
        restrict_to_image_labels=False))
