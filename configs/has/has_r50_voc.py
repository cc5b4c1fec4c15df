# CAM classifier trained with Hide-and-Seek patches (Singh & Lee, ICCV 2017).
_base_ = '../cam/cam_r50_voc.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(640, 640),
        ratio_range=(0.5, 1.0),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='HideAndSeek', grid_sizes=(0, 16, 32, 44, 56), hide_prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
