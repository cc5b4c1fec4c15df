# ToCo trained from scratch on the CPU on the generated demo data. ToCo's
# recipe fine-tunes an ImageNet ViT-B/16 on 448 crops; no weights exist
# offline and the demo images are 128x128, so this one keeps ToCo's
# losses, label rule and schedule shape on a narrow ViT (4 layers of 128,
# patches of 16: the 8x8 grid of the demo's CAM classifier; the auxiliary
# layer 3), AdamW at 1e-3 (a network from scratch, not a fine-tune), local
# crops of 48 (ToCo: 96 of 448), and the regularised loss on a 32x32 copy
# (ToCo: 224x224 of its 448 crops; the exact kernel sum costs the square
# of the pixels on a CPU). The segmentation losses start after 500 of 1500
# iterations (ToCo: 2000 of 20000), once the classifier from scratch has
# learnt the classes.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/toco_vit-b16.py',
    '../_base_/datasets/demo_wsss.py', '../_base_/schedules/toco_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
max_iters = 1500
crop_size = (128, 128)
# The demo's classes are told apart by the colour and texture of a small
# part, so DINO's hue and saturation jitter and grayscale, which ToCo's
# views apply to every input, erase the class (see configs/toco/README.md);
# the views keep the flips, brightness and contrast, and a blur of ToCo's
# radius scaled to 128 pixels.
demo_views = dict(
    jitter=dict(brightness=0.4, contrast=0.4, saturation=0, hue=0),
    grayscale_prob=0,
    blur_radius=(0.1 * 128 / 448, 2.0 * 128 / 448))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='TokenContrastGlobalView', size=128, **demo_views),
    dict(
        type='RandomRescale',
        scale_range=(0.75, 1.25),
        interpolation='bilinear',
        backend='pillow'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='IRNRandomCrop', crop_size=crop_size, img_pad_val=0),
    dict(type='TokenContrastLocalView', **demo_views),
    dict(
        type='PackWSSSInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'pad_shape', 'scale_factor', 'flip', 'flip_direction',
                   'img_box'),
        view_keys=('global_view', 'local_view')),
]
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        img_size=crop_size,
        patch_size=16,
        embed_dims=128,
        num_layers=4,
        num_heads=4,
        out_indices=(2, 3),
        init_cfg=None),
    decode_head=dict(in_channels=128, num_classes=6, channels=128),
    projection_head=dict(
        in_channels=128,
        out_channels=256,
        hidden_channels=256,
        bottleneck_channels=64),
    # The demo's 128-pixel images: the kernel's reach scaled as the crop.
    # The energy sums over pixel pairs within that reach; a 32x32 copy has
    # (224^2 / 32^2)^2 = 2401 times fewer than ToCo's 224x224, so the
    # weight is raised as much to keep the loss's share (at ToCo's 1e-7 it
    # is under 1e-4 here).
    reg_loss=dict(
        sigma_xy=100 * 128 / 448,
        scale_factor=0.25,
        loss_weight=1e-7 * (224 * 224 / (32 * 32))**2),
    train_cfg=dict(
        loss_start=dict(ptc=0, ctc=0, seg=501, reg=501),
        local_crop_size=48),
    test_cfg=dict(scales=(1.0, 1.5, 1.25), cam_scales=(1.0, 0.5, 1.5)))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(
        type='PolyWarmupLR',
        warmup_iters=100,
        warmup_ratio=1e-6,
        max_iters=max_iters,
        power=0.9,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=150, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
