# The generated demo dataset (tools/make_demo_data.py): 128x128 images in
# VOC layout with classes.txt; train and val both have masks.
_base_ = './voc12_wsss.py'
data_root = 'data/demo'
crop_size = (128, 128)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.75, 1.25),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='PackWSSSInputs'),
]
data_prefix = dict(
    img_path='JPEGImages',
    seg_map_path='SegmentationClass',
    xml_path='Annotations')
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        data_prefix=data_prefix,
        require_foreground=True,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, data_prefix=data_prefix))
test_dataloader = val_dataloader
