# Adversarial erasing (Wei et al., CVPR 2017) with the VOC CAM classifier of
# this repository (../cam/cam_r50_voc.py: ResNet-50, IRN's recipe) in place
# of the paper's DeepLab-CRF-LargeFOV (VGG-16) classification network. Each
# round trains it from ImageNet weights on train_aug with the regions mined
# by the earlier rounds erased; mmwsss.apis.adversarial_erasing sets
# EraseRegions' erase_dir per round (none: nothing is erased).
_base_ = '../cam/cam_r50_voc.py'
# The paper's three rounds and its threshold: a pixel is mined for a
# labelled class when its CAM is within the top 20% of the map's largest
# value (normalised CAM > 0.8).
adversarial_erasing_cfg = dict(rounds=3, threshold=0.8)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Before any geometric transform: masks are at the original size. The
    # mean pixel is the data preprocessor's mean in the loaded image's BGR
    # order, so that erased pixels are 0 after normalisation.
    dict(type='EraseRegions', erase_dir=None, fill=(103.53, 116.28, 123.675)),
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
