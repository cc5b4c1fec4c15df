# ToCo (CVPR 2023) on ViT-B/16: an mmseg VisionTransformer in timm's layout
# (position embeddings resized to every grid, as timm's)
# (LayerNorm eps 1e-6, biased patch embedding, GELU), tokens of block 10
# (index 9, ToCo's aux_layer -3) and block 12 (after the final norm) with
# the class token, a LargeFOV decoder, the CTC projection head and the
# regularised loss.
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=(448, 448))
model = dict(
    type='ToCo',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='AnyGridVisionTransformer',
        img_size=(224, 224),
        patch_size=16,
        # ToCo's patch embedding drops a border that fills no patch.
        patch_pad=0,
        patch_bias=True,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        mlp_ratio=4,
        out_indices=(9, 11),
        qkv_bias=True,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.,
        with_cls_token=True,
        output_cls_token=True,
        norm_cfg=dict(type='LN', eps=1e-6),
        act_cfg=dict(type='GELU'),
        patch_norm=False,
        pre_norm=False,
        final_norm=True,
        interpolate_mode='bicubic',
        # timm's ImageNet-21k + 1k ViT-B/16 (jx_vit_base_p16_224), converted
        # by tools/model_converters/toco2mmwsss.py --backbone.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/vit-b16_in21k-in1k_timm_mmseg.pth')),
    decode_head=dict(type='LargeFOVHead', in_channels=768, num_classes=21),
    projection_head=dict(
        type='TokenProjectionHead', in_channels=768, out_channels=1024),
    reg_loss=dict(
        type='DenseEnergyLoss',
        loss_weight=1e-7,
        sigma_rgb=15,
        sigma_xy=100,
        scale_factor=0.5),
    train_cfg=dict(),
    test_cfg=dict())
# The second global view of the whole image; then ToCo's random scaling
# (0.5-2, bilinear), flip and 448 crop (the image at a random place on a
# black canvas); then the local view and the crop's own jitter and blur.
toco_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TokenContrastGlobalView', size=448),
    dict(
        type='RandomRescale',
        scale_range=(0.5, 2.0),
        interpolation='bilinear',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='IRNRandomCrop', crop_size=(448, 448), img_pad_val=0),
    dict(type='TokenContrastLocalView'),
    dict(
        type='PackWSSSInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                   'img_box'),
        view_keys=('global_view', 'local_view')),
]
