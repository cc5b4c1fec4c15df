# SEC (Kolesnikov & Lampert, ECCV 2016) on PASCAL VOC 2012 train_aug: a
# segmentation network trained on localization cues with the seed, expand
# and constrain losses. SEC's solver: batch 15 of images resized to
# 321x321 (no crop, no flip), SGD lr 1e-3, momentum 0.9, weight decay 5e-4,
# lr x 0.1 every 2,000 of 8,000 iterations; fc8 at 10x lr (bias 20x), other
# biases at 2x lr without weight decay.
_base_ = [
    '../_base_/models/sec_r50-d8.py', '../_base_/datasets/voc12_pseudo.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
crop_size = (321, 321)
# Localization cues from CAM files (mmwsss.apis.run_sec_seeds): a class
# where its max-normalised CAM exceeds 0.2 (SEC's 20% of the maximum),
# background where every CAM is below 0.05 (SEC's background cues come from
# a saliency network instead), no cue (255) elsewhere.
sec_cue_cfg = dict(
    mode='confident', fg_threshold=0.2, low_threshold=0.05, crf=None)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackWSSSInputs'),
]
# SEC predicts on the image resized to 321x321; the labels are compared at
# the original size.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=15,
    dataset=dict(pseudo_label_dir='sec_cues', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = 8000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=0.0005),
    paramwise_cfg=dict(
        bias_lr_mult=2.0,
        bias_decay_mult=0.0,
        custom_keys={
            'decode_head.conv_seg.weight': dict(lr_mult=10.0),
            'decode_head.conv_seg.bias': dict(lr_mult=20.0, decay_mult=0.0)
        }))
param_scheduler = [
    dict(
        type='MultiStepLR',
        milestones=[2000, 4000, 6000],
        gamma=0.1,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=1000,
        max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
