# PASCAL VOC 2012 with image-level labels: train_aug (10,582 images) for the
# classifier, val (1,449 images with masks) for evaluation.
dataset_type = 'WSSSVOCDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
# IRN/ReCAM: long side uniform in [320, 640], flip, random 512 crop (the
# data preprocessor pads short crops with zeros after normalisation).
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
# CAM seeds are computed at the original image size.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        data_prefix=dict(
            img_path='JPEGImages',
            seg_map_path='SegmentationClassAug',
            xml_path='Annotations'),
        require_foreground=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        data_prefix=dict(
            img_path='JPEGImages',
            seg_map_path='SegmentationClass',
            xml_path='Annotations'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Seed mIoU at the model's background threshold, and the classifier's mAP.
val_evaluator = [
    dict(type='IoUMetric', iou_metrics=['mIoU']),
    dict(type='mmpretrain.AveragePrecision'),
]
test_evaluator = val_evaluator
