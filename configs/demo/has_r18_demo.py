# CAM classifier with Hide-and-Seek on the demo data; patch sides scaled
# from the paper's (0, 16, 32, 44, 56) at 224 px to 128 px images.
_base_ = './cam_r18_demo.py'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.75, 1.25),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(128, 128)),
    dict(type='HideAndSeek', grid_sizes=(0, 8, 16, 24, 32), hide_prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
