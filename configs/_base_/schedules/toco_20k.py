# ToCo's PolyWarmupAdamW: AdamW (eps 1e-8, weight decay 0.01 on every
# parameter), lr 6e-5 for the backbone and 10x for the classifiers, the
# projection head and the decoder; a linear warm-up over 1500 iterations
# from 1e-6 of the rate, then poly 0.9 counted from iteration 0.
max_iters = 20000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=6e-5, betas=(0.9, 0.999), eps=1e-8,
        weight_decay=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'classifier': dict(lr_mult=10.),
            'projection_head': dict(lr_mult=10.),
            'decode_head': dict(lr_mult=10.),
        }))
param_scheduler = [
    dict(
        type='PolyWarmupLR',
        warmup_iters=1500,
        warmup_ratio=1e-6,
        max_iters=max_iters,
        power=0.9,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=200, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# The CTC and segmentation branches start later in the schedule (and
# COCO's PTC): before, their parameters get no gradient.
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
