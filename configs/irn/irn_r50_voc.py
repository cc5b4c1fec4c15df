# IRN's class-boundary network (Ahn et al., CVPR 2019) on PASCAL VOC 2012
# train_aug, trained on the IR labels (confident CAM regions, 255 between)
# as step/train_irn.py: 1 GPU x 32 crops of 512, 3 epochs, poly SGD.
# Its boundary maps then drive the random walk from the CAMs
# (tools/make_sem_seg_labels.py, or run_pipeline with refine='irn').
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/irn_r50.py',
    '../_base_/datasets/voc12_pseudo.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
# IR labels of train_aug: the CAMs' confident foreground (> fg_threshold
# after CRF), confident background (< bg_threshold) and 255 between. The
# folder below (relative to data_root) is a placeholder: point it at the
# labels you made (run_pipeline sets it to its own output).
ir_label_cfg = dict(fg_threshold=0.30, bg_threshold=0.05)
# IRN's random walk (run_sample.py): transition = affinity ** beta,
# 2 ** exp_times steps, pairs within radius 5, background score 0.25.
random_walk_cfg = dict(beta=10, exp_times=8, radius=5, bg_threshold=0.25)
# IRN: scale by U(0.5, 1.5) of the image's own size, flip, random 512 crop
# as imutils.random_crop: a short side sits at a random offset in the
# canvas, filled with the label 255 and the image 0 after normalisation
# (img_pad_val: the data preprocessor's mean in the loaded BGR order).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomRescale', scale_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='IRNRandomCrop',
        crop_size=crop_size,
        img_pad_val=(103.53, 116.28, 123.675),
        seg_pad_val=255),
    dict(type='PackWSSSInputs'),
]
# Boundary maps are computed at the original image size.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    # IRN drops the last incomplete batch.
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoLabelDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        pseudo_label_dir='ir_labels',
        pipeline=train_pipeline))
# The test split feeds the random walk (which replaces its pipeline); the
# random-walk labels are evaluated as pseudo labels. tools/test.py writes
# the boundary map, whose IoU against class masks means nothing.
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# IRN's PolyOptimizer: SGD whose momentum slot receives the weight decay
# 1e-4 (effectively no momentum), weight decay 1e-4, lr 0.1 for the
# boundary branch (the frozen backbone gets no gradient), decayed by
# (1 - step / max_step) ** 0.9 every iteration.
max_epochs = 3
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4))
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
# Never validate: the boundary map has no ground truth. The val loop stays
# defined so that options given to every config's dataloaders apply here.
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
