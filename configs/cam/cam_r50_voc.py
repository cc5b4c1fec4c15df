# CAM classifier as IRN trains it (Ahn et al., CVPR 2019; step/train_cam.py,
# run_sample.py): torchvision ResNet-50 at output stride 16, BN statistics
# fixed, stem, layer1 and layer2 frozen (../_base_/models/cam_r50.py), PASCAL
# VOC 2012 train_aug, long side in [320, 640], flip, random 512 crop, 1 GPU
# x 16, 5 epochs, IRN's PolyOptimizer (../_base_/schedules/cam_5ep.py).
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc12_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
# IRN's VOC12ClassificationDataset: long side a random integer in
# [320, 640], resized with Pillow's bicubic filter (imutils.pil_rescale),
# flip, random 512 crop (the data preprocessor pads short crops with zeros
# after normalisation).
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
# IRN drops the last incomplete batch (its max_step is
# len(train_aug) // 16 * 5).
train_dataloader = dict(drop_last=True, dataset=dict(pipeline=train_pipeline))
# IRN's refinement settings (run_sample.py): IR labels with conf_fg_thres
# 0.30 / conf_bg_thres 0.05, random-walk background sem_seg_bg_thres 0.25;
# run_pipeline reads them from the seed method's config.
ir_label_cfg = dict(fg_threshold=0.30, bg_threshold=0.05)
random_walk_cfg = dict(bg_threshold=0.25)
