# DeepLab-v2 with a ResNet-50 backbone (the IRN paper's segmentation
# network), otherwise the ResNet-101 VOC config: MSRA's Caffe ResNet-50
# ImageNet weights, deeplab-pytorch's recipe.
_base_ = './deeplabv2_r101-d8_1xb10-20k_voc12-pseudo-321x321.py'
model = dict(
    backbone=dict(
        depth=50,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnet50_caffe')))
