# CLIP-ES (Lin et al., CVPR 2023; linyq2117/CLIP-ES generate_cams_voc12.py):
# OpenAI's CLIP ViT-B/16, frozen and untrained, under mmseg's ViT and text
# encoder. Its weights: OpenAI's ViT-B-16.pt converted by
# tools/model_converters/clip2mmwsss.py (nothing is downloaded).
model = dict(
    type='CLIPES',
    # CLIP's mean and std (in 0-255), RGB.
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[122.770938, 116.7460125, 104.09373615],
        std=[68.5005327, 66.6321579, 70.32316305],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255),
    backbone=dict(
        type='CLIPVisionTransformer',
        img_size=224,
        patch_size=16,
        embed_dims=768,
        num_layers=12,
        num_heads=12,
        output_dims=512,
        # CLIP-ES's upsample_pos_emb: bilinear, align_corners False.
        interpolate_mode='bilinear'),
    text_encoder=dict(
        type='CLIPTextEncoder',
        embed_dims=512,
        num_layers=12,
        num_heads=8,
        output_dims=512,
        cache_feature=False),
    templates=['a clean origami {}.'],
    # clip_text.py's BACKGROUND_CATEGORY (VOC).
    background_names=[
        'ground', 'land', 'grass', 'tree', 'building', 'wall', 'sky', 'lake',
        'water', 'river', 'sea', 'railway', 'railroad', 'keyboard', 'helmet',
        'cloud', 'house', 'mountain', 'ocean', 'road', 'rock', 'street',
        'valley', 'bridge', 'sign'
    ],
    # One scale, no flip, the last 8 blocks' attention, boxes at 0.4.
    test_cfg=dict(
        scales=(1.0, ),
        flip=False,
        size_divisor=16,
        caa=True,
        caa_blocks=8,
        caa_iterations=3,
        box_threshold=0.4),
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/clip_vit-b16_openai.pth'))
