# OC-CSE (Kweon et al., ICCV 2021; train.py, models/model_cse.py,
# tools/utils.py): a CAM network trained against a frozen ordinary
# classifier that sees the image with one present class erased by the CAM
# network's own map. The official networks are ResNet-38 (networks/
# resnet38d.py), of which no mmseg implementation or weights exist here:
# both networks are torchvision ResNet-50s at output stride 16.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc12_wsss.py', '../_base_/schedules/cse_15ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
crop_size = (384, 384)
model = dict(
    type='CSEClassifier',
    data_preprocessor=dict(size=crop_size),
    # CAM network (Net_er, ImageNet init): Net_er.train() freezes conv1a and
    # the first stage b2..b2_2 and every BN layer, statistics and affine
    # parameters alike. The ResNet-50 equivalent: stem and layer1 frozen,
    # BN fixed.
    backbone=dict(
        frozen_stages=1, norm_cfg=dict(type='BN', requires_grad=False)),
    # Ordinary classifier (Net_cl, eval mode, never stepped): the CAM
    # classifier of ../cam/cam_r50_voc.py (its backbone without init_cfg);
    # the official one is PSA's ResNet-38 CAM network (od_cam.pth).
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
    # λ = cc_init + cc_slope * epoch (0-based): 0.3 ... 1.0 at epoch 14.
    loss_weight_base=0.3,
    loss_weight_slope=0.05,
    # model_cse.py divides the masks by the largest value of the batch.
    mask_norm='batch',
    # Inference as infer_msf: scales 0.5, 1, 1.5, 2 and their flips
    # (inherited). OC-CSE has no fixed seed threshold: evaluation.py sweeps
    # 0.10 ... 0.39 and reports the best; tools/test.py uses IRN's 0.15.
    test_cfg=dict(bg_threshold=0.15))
# The classifier frozen as the ordinary classifier is cam/cam_r50_voc.py's:
# its pipeline config (configs/pipelines/cse_voc.py) trains it first and
# sets ordinary_checkpoint to its checkpoint (the path above is where
# tools/train.py puts it).
# tools/utils.py build_dataset: long side uniform in [256, 448] (bicubic),
# flip, ColorJitter(0.3, 0.3, 0.3, 0.1), normalise, random 384 crop.
# mmpretrain's ColorJitter applies torchvision's four PIL operations with
# the same factor ranges in a random order (mmcv's pillow backend).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(448, 448),
        ratio_range=(256 / 448, 1.0),
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
# 1 GPU x 8 (DataParallel over the whole batch of 8 in the official code),
# last incomplete batch dropped.
train_dataloader = dict(
    batch_size=8, drop_last=True, dataset=dict(pipeline=train_pipeline))
