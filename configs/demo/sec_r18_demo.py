# SEC on the demo data on the CPU, trained on cues from the demo CAM
# classifier's CAMs (mmwsss.apis.run_sec_seeds). SEC fine-tunes an ImageNet
# classifier (VGG16, lr 1e-3, 8,000 steps of 15); no ImageNet weights are
# offline, and from random weights the network collapses to background
# under the expansion loss (200 steps: every cell background). So the
# backbone starts from the demo CAM classifier that made the CAMs
# (init_from_cam_classifier; the same narrow ResNetV1c-18, here at output
# stride 8: 16x16 cells for the 128x128 images, the 321 -> 41 ratio of SEC,
# so the CRF's scale factor 12 carries over), as the demo IRN starts from
# it. BN trains; momentum SGD at a higher lr with a poly schedule, no lr
# multipliers; fc6's dilation 12 on 41 cells becomes 4 on 16. SEC's losses,
# GWRP decays (given for 41x41 and rescaled to the output), CRF settings
# and test-time CRF are unchanged.
_base_ = [
    '../_base_/models/sec_r50-d8.py', '../_base_/datasets/voc12_pseudo.py',
    'mmseg::_base_/default_runtime.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
data_root = 'data/demo'
crop_size = (128, 128)
num_classes = 6
sec_cue_cfg = dict(
    mode='confident', fg_threshold=0.2, low_threshold=0.05, crf=None)
init_from_cam_classifier = True
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        depth=18,
        stem_channels=32,
        base_channels=32,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    decode_head=dict(
        in_channels=256, channels=128, dilation=4, num_classes=num_classes))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=crop_size, keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
# No validation while training: run_sec_seeds tests once afterwards.
val_dataloader = None
val_evaluator = None
val_cfg = None
test_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
max_iters = 400
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=0.0005))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        # Every 50 iterations (the last one kept), so that an
        # interrupted stage resumes close to where it stopped.
        interval=50,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
