# CAM seeds on the generated demo data, trained from scratch on the CPU.
# The paper recipe (frozen BN, ImageNet init, 5 epochs) cannot learn from
# scratch on a few hundred images; this one trains BN, uses a narrow
# ResNet-18 and momentum SGD for enough steps.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/demo_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
max_epochs = 30
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=(128, 128)),
    backbone=dict(
        # The demo keeps mmseg's ResNetV1c (deep stem) whatever the VOC
        # configs' backbone is: its figures were measured on it.
        type='ResNetV1c',
        contract_dilation=True,
        depth=18,
        stem_channels=32,
        base_channels=32,
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    cam_head=dict(in_channels=256, num_classes=5),
    test_cfg=dict(bg_threshold=0.3))
optim_wrapper = dict(
    optimizer=dict(lr=0.05, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'cam_head': dict(lr_mult=1.0)}))
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
default_hooks = dict(
    logger=dict(interval=10),
    # Every epoch (the last one kept), so that an interrupted stage
    # resumes where it stopped; a narrow ResNet-18 saves in milliseconds.
    checkpoint=dict(interval=1, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
log_processor = dict(by_epoch=True)
randomness = dict(seed=0)
