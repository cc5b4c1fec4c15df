# DeepLab-v2 (Chen et al., TPAMI 2018) as deeplab-pytorch builds it
# (DeepLabV2_ResNet101_MSC, the network of the IRN-lineage WSSS papers):
# the original Caffe ResNet-101 (stride on the 1x1 convolutions), output
# stride 8 by dilating stages 3 and 4 by 2 and 4 (every block, no contracted
# first dilation), batch norm frozen (statistics and affine parameters),
# ASPP-L (3x3 convolutions at dilations 6/12/18/24 straight to the classes,
# summed) and multi-scale inputs 1, 0.5, 0.75 fused by their maximum.
# Inputs are BGR minus DeepLab's mean, not divided by a std (Caffe).
norm_cfg = dict(type='BN', requires_grad=False)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[104.008, 116.669, 122.675],
    std=[1.0, 1.0, 1.0],
    bgr_to_rgb=False,
    pad_val=0,
    seg_pad_val=255)
model = dict(
    type='MSCEncoderDecoder',
    msc_scales=(0.5, 0.75),
    data_preprocessor=data_preprocessor,
    pretrained=None,
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        style='caffe',
        contract_dilation=False,
        norm_cfg=norm_cfg,
        norm_eval=True,
        # MSRA's original ImageNet ResNet-101 (Caffe), the model DeepLab-v2
        # starts from, as converted for mmdet/mmseg's ResNet.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet101_caffe')),
    decode_head=dict(
        type='ASPPV2Head',
        in_channels=2048,
        in_index=3,
        dilations=(6, 12, 18, 24),
        num_classes=21,
        align_corners=False,
        # nn.CrossEntropyLoss(ignore_index=255): mean over labelled pixels.
        loss_decode=dict(
            type='CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            avg_non_ignore=True)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
