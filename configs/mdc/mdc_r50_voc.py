# Multi-dilated convolution (Wei et al., CVPR 2018) in IRN's CAM recipe
# (../cam/cam_r50_voc.py): four 3x3 convolution blocks with dilation rates
# 1, 3, 6 and 9 on the last backbone feature, each with GAP, its own
# classifier and the multi-label loss; the localization map is
# H_0 + mean(H_3, H_6, H_9) of the blocks' max-normalised CAMs. The paper
# puts the blocks on VGG16's conv5; here they sit on ResNet-50's layer4
# (output stride 16: a 512 crop gives 32 x 32 cells, the paper's 321 crops
# at stride 8 give 41 x 41, so the rates cover a similar fraction of the
# map). No official code exists; crops, schedule and seed threshold are the
# CAM recipe's, so that the seeds compare with CAM's.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    cam_head=dict(
        type='MDCHead',
        in_channels=2048,
        num_classes=20,
        channels=512,
        dilations=(1, 3, 6, 9)))
