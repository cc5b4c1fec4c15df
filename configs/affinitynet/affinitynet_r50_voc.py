# AffinityNet (Ahn & Kwak, CVPR 2018) on PASCAL VOC 2012 train_aug, trained
# on the labels of the two power-background CRF maps of the CAMs, as PSA's
# train_aff.py: 1 GPU x 8 crops of 448, 8 epochs, poly SGD lr 0.1 (new
# layers 10x), weight decay 5e-4, colour jitter, flip, no rescaling.
# Its affinities drive the random walk (tools/make_sem_seg_labels.py, or
# run_pipeline with refine='psa').
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/affinitynet_r50.py',
    '../_base_/datasets/voc12_pseudo.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (448, 448)
# PSA's infer_cls.py: CRF over (1 - max CAM) ** alpha and the CAMs, alpha
# 4 (confident foreground) and 32 (confident background).
affinity_label_cfg = dict(low_alpha=4, high_alpha=32)
# PSA's infer_aff.py: background power 16, affinity ** 8, 2 ** 8 steps.
random_walk_cfg = dict(alpha=16, beta=8, logt=8, radius=5)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    # PSA: ColorJitter(0.3, 0.3, 0.3, 0.1); mmseg's distortion in its place.
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        # Placeholder (relative to data_root): the labels of
        # make_pseudo_labels --affinity-labels; run_pipeline sets its own.
        pseudo_label_dir='affinity_labels',
        pipeline=train_pipeline))
# The test split feeds the random walk (which replaces its pipeline).
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# PSA's PolyOptimizer hands its weight decay to SGD's momentum slot
# (momentum 5e-4, i.e. none); PSA's new layers learn at 10x.
max_epochs = 8
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys={'affinity_head': dict(lr_mult=10.0)}))
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
# No validation while training: affinities have no ground truth.
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_begin=10**6)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=True,
        # Every epoch, so that an interrupted run resumes mid-stage.
        interval=1,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=True)
