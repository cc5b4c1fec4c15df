# OC-CSE's schedule (train.py, tools/utils.py PolyOptimizer): 15 epochs, SGD
# lr 0.01 with weight decay 5e-4, lr (1 - step / max_step) ** 0.9 per step.
# Its PolyOptimizer hands the weight decay to SGD's momentum slot (momentum
# 5e-4, effectively none), so momentum is 0 here. Every trained layer of the
# CAM network is in the 1x group (model_cse.py: from_scratch_layers is
# empty, so the classifier fc8 also learns at 0.01).
max_epochs = 15
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.0, weight_decay=5e-4))
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
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
