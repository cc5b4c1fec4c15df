# Adversarial erasing (Wei et al., CVPR 2017) on the demo data: every round
# trains the demo CAM classifier (./cam_r18_demo.py, same recipe) from
# scratch on the training images with the regions mined by the earlier
# rounds erased. Run by mmwsss.apis.adversarial_erasing, which sets
# EraseRegions' erase_dir per round; without it (round 1, or tools/train.py
# on this config) nothing is erased.
_base_ = './cam_r18_demo.py'
# The paper's three rounds and its threshold: a pixel is mined for a
# labelled class when its CAM is within the top 20% of the map's largest
# value (normalised CAM > 0.8).
adversarial_erasing_cfg = dict(rounds=3, threshold=0.8)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    # Before any geometric transform: masks are at the original size.
    # The data preprocessor's mean in the loaded image's BGR order, so that
    # erased pixels are 0 after normalisation.
    dict(type='EraseRegions', erase_dir=None, fill=(103.53, 116.28, 123.675)),
    dict(
        type='RandomResize',
        scale=(128, 128),
        ratio_range=(0.75, 1.25),
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=(128, 128)),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
