# ACoL (Zhang et al., CVPR 2018) in IRN's CAM recipe (../cam/cam_r50_voc.py):
# the CAM head is replaced by ACoL's two parallel classifiers (official
# models/vgg/vgg_v1.py: 3x3 average pooling of the features, then per
# classifier two 3x3 convolutions of 1024 channels with ReLU and a 1x1
# convolution to the classes); classifier B sees the features with the
# labelled classes' regions (normalised map of A >= 0.6, the official
# threshold) set to 0. ACoL is a WSOL method without an official WSSS
# recipe; the backbone, crops, schedule and seed threshold are the CAM
# recipe's, so that the seeds compare with CAM's. The head learns 10x
# faster than the backbone, as the recipe's CAM head (the official code:
# weights 10x, biases 20x).
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    cam_head=dict(
        type='ACoLHead',
        in_channels=2048,
        num_classes=20,
        channels=1024,
        erase_threshold=0.6))
