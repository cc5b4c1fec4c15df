# SEAM (Wang et al., CVPR 2020; train_SEAM.py, infer_SEAM.py,
# network/resnet38_SEAM.py): a CAM classifier trained on each image and its
# 0.3x copy with the equivariant (ER) and equivariant cross (ECR)
# regularisations and the pixel correlation module (PCM). The official
# network is ResNet-38 at output stride 8, of which no mmseg implementation
# or ImageNet weights exist here: this is the torchvision ResNet-50 of
# ../_base_/models/cam_r50.py at output stride 16, its PCM reading layer2
# and layer3 in place of ResNet-38's conv4 and conv5 (see README.md).
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc12_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
crop_size = (448, 448)
model = dict(
    type='SEAMClassifier',
    data_preprocessor=dict(size=crop_size),
    # ResNet-38's Net.train() freezes conv1a and the first stage b2..b2_2
    # and every BN layer, statistics and affine parameters alike. The
    # ResNet-50 equivalent: stem and layer1 frozen, BN fixed.
    # out_indices: layer2 (512 channels, stride 8) and layer3 (1024
    # channels, stride 16) for the PCM, as ResNet-38's conv4 (512, stride
    # 8) and conv5 (1024, stride 8); layer4 for the CAMs.
    backbone=dict(
        out_indices=(1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False)),
    # fc8: bias-free 1x1 classifier, Xavier-uniform initialisation.
    cam_head=dict(
        init_cfg=dict(type='Xavier', distribution='uniform',
                      layer='Conv2d')),
    pcm=dict(
        type='PixelCorrelationModule',
        in_channels=(512, 1024),
        in_index=(0, 1),
        feat_channels=(64, 128),
        embed_channels=192),
    scale_factor=0.3,
    dropout_ratio=0.5,
    ecr_topk_ratio=0.2,
    # infer_SEAM.py: scales 0.5, 1, 1.5, 2 and their flips (inherited), the
    # PCM-refined maps; background score 0.26 (out_cam_pred_alpha).
    test_cfg=dict(bg_threshold=0.26))
# train_SEAM.py: long side a random integer in [448, 768] (Pillow bicubic),
# flip, ColorJitter(0.3, 0.3, 0.3, 0.1), normalise, random 448 crop (zero
# padded). mmpretrain's ColorJitter applies torchvision's four PIL
# operations with the same factor ranges in a random order.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(768, 768),
        ratio_range=(448 / 768, 1.0),
        keep_ratio=True,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='mmpretrain.ColorJitter',
        brightness=0.3,
        contrast=0.3,
        saturation=0.3,
        hue=0.1),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
# 1 GPU x 8 (DataParallel over the whole batch), last incomplete batch
# dropped (max_step = len(train_aug) // 8 * 8).
train_dataloader = dict(
    batch_size=8, drop_last=True, dataset=dict(pipeline=train_pipeline))
# PolyOptimizer: SGD lr 0.01, weight decay 5e-4, lr (1 - step / max_step)
# ** 0.9 per step, 8 epochs. It hands the weight decay to SGD's momentum
# slot (momentum 5e-4, effectively none): momentum 0 here. The layers
# trained from scratch (fc8 and the PCM's f8_3, f8_4, f9) learn 10x; the
# 2x / 20x bias groups are empty (no trained layer has a bias).
max_epochs = 8
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.0, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={
        'cam_head': dict(lr_mult=10.0),
        'pcm': dict(lr_mult=10.0)
    }))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
# SEAM refines its seeds with PSA's AffinityNet (train_aff.py,
# infer_aff.py): CRF label maps at background powers 4 and 24 (infer_SEAM
# crf_alpha), random walk with background power 6, beta 8, 2 ** 6 steps.
affinity_label_cfg = dict(low_alpha=4, high_alpha=24)
random_walk_cfg = dict(alpha=6, beta=8, logt=6, radius=5)
