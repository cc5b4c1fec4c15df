# DeepLab-v2 (ResNet-101, ASPP-L, multi-scale inputs) on pseudo labels with
# deeplab-pytorch's VOC recipe (configs/voc12.yaml), the segmentation stage
# of IRN-lineage WSSS papers (AdvCAM, ReCAM), from ImageNet weights:
# train_aug, scale drawn from {0.5, 0.75, 1, 1.25, 1.5}, random 321 crop,
# flip, 1 GPU x 10 (deeplab-pytorch: 5 x 2 accumulated), 20k iterations;
# evaluated on val at full size with the multi-scale max fusion, no CRF.
_base_ = [
    '../_base_/models/deeplabv2_r101-d8.py',
    '../_base_/datasets/voc12_pseudo.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/deeplabv2_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
crop_size = (321, 321)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=21))
scales = (0.5, 0.75, 1.0, 1.25, 1.5)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    # One of five scales, as random.choice(SCALES) in deeplab-pytorch.
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                    for s in scales]),
    # A shorter side is padded (mean image, label 255) at the bottom and
    # right by the data preprocessor, as deeplab-pytorch pads before its
    # crop; no category balancing of the crop.
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
# Full-size images (deeplab-pytorch's test: no resize, no flip).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
