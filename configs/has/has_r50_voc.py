# CAM classifier trained with Hide-and-Seek (Singh & Lee, ICCV 2017) in
# IRN's CAM recipe (../cam/cam_r50_voc.py). The official grid sizes
# (0, 16, 32, 44, 56) and hiding probability 0.5 were chosen for 224 x 224
# crops (opts.lua cropSize 224, hide_patch.py); on the 512 crops here the
# sides are scaled by 512 / 224 and rounded, so that a patch hides the same
# fraction of the crop: 56 px (a quarter of 224) becomes 128 px. Hidden
# patches take the ImageNet mean (zero after normalisation, as the official
# code zeroes the mean-subtracted input).
_base_ = '../cam/cam_r50_voc.py'
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
    dict(type='HideAndSeek', grid_sizes=(0, 37, 73, 101, 128), hide_prob=0.5),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
