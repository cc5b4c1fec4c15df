# Segmentation on MS-COCO 2014 pseudo labels (make_pseudo_labels --config
# configs/cam/cam_r50_coco.py --split train2014), evaluated on the val2014
# masks of tools/convert_coco.py.
data_root = 'data/coco'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomResize',
        scale=(2048, 512),
        ratio_range=(0.5, 2.0),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='WSSSCOCODataset',
        data_root=data_root,
        ann_file='annotations/instances_train2014.json',
        data_prefix=dict(
            img_path='train2014', seg_map_path='pseudo_labels/train2014'),
        require_seg_maps=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='WSSSCOCODataset',
        data_root=data_root,
        ann_file='annotations/instances_val2014.json',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
