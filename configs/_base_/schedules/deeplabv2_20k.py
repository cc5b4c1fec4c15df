# DeepLab-v2's solver as deeplab-pytorch's configs/voc12.yaml and main.py
# set it (after the official train.prototxt): SGD, momentum 0.9, weight
# decay 5e-4, lr 2.5e-4 for the backbone's convolutions, 10x for the ASPP
# weights, 20x and no weight decay for the ASPP biases (batch norm is
# frozen, so not optimised), poly decay with power 0.9 to 0 over 20k
# iterations; only the final model is evaluated.
max_iters = 20000
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    clip_grad=None,
    # The longest matching key wins: the bias keys before 'decode_head'.
    paramwise_cfg=dict(
        custom_keys={
            'decode_head': dict(lr_mult=10.),
            'decode_head.aspp.0.bias': dict(lr_mult=20., decay_mult=0.),
            'decode_head.aspp.1.bias': dict(lr_mult=20., decay_mult=0.),
            'decode_head.aspp.2.bias': dict(lr_mult=20., decay_mult=0.),
            'decode_head.aspp.3.bias': dict(lr_mult=20., decay_mult=0.),
        }))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
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
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
