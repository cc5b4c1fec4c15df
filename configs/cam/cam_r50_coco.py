# CAM classifier on MS-COCO 2014 as ReCAM trains it (Chen et al., CVPR 2022;
# run_sample_coco.py, step_coco/train_cam.py; IRN has no COCO recipe):
# torchvision ResNet-50 at output stride 16, BN statistics fixed, 80
# classes, long side in [320, 640], flip, random 512 crop, 1 GPU x 16,
# 5 epochs, lr 0.1 (classifier 1.0), weight decay 1e-4, poly 0.9.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/coco14_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
model = dict(
    # ReCAM's net/resnet50_cam.py freezes only conv1/bn1 and does not detach
    # after layer2: layer1..4 and their BN affine parameters are trained.
    backbone=dict(frozen_stages=0),
    cam_head=dict(num_classes=80),
    # cam_eval_thres of run_sample_coco.py.
    test_cfg=dict(bg_threshold=0.15))
# step_coco/train_cam.py: as VOC (resize_long (320, 640) with Pillow's
# bicubic filter, flip, random 512 crop), last incomplete batch dropped.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True,
        backend='pillow',
        interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))
# ReCAM's COCO refinement settings (run_sample_coco.py): IR labels with
# conf_fg_thres 0.35 / conf_bg_thres 0.10, random-walk background
# sem_seg_bg_thres 0.25.
ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
random_walk_cfg = dict(bg_threshold=0.25)
