# DeepLab-v2 (ResNet-101, ASPP-L, multi-scale inputs) on MS-COCO 2014 pseudo
# labels, 81 classes, from ImageNet weights. The WSSS papers train it "as on
# VOC" with deeplab-pytorch; the pipeline and solver are those of the VOC
# config, and the 100k iterations those of deeplab-pytorch's COCO-scale
# configs (coco.yaml, cocostuff164k.yaml).
_base_ = [
    '../_base_/models/deeplabv2_r101-d8.py',
    '../_base_/datasets/coco14_pseudo.py', 'mmseg::_base_/default_runtime.py',
    '../_base_/schedules/deeplabv2_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
crop_size = (321, 321)
model = dict(
    data_preprocessor=dict(size=crop_size),
    decode_head=dict(num_classes=81))
scales = (0.5, 0.75, 1.0, 1.25, 1.5)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(
        type='RandomChoice',
        transforms=[[dict(type='Resize', scale_factor=s, keep_ratio=True)]
                    for s in scales]),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackWSSSInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
max_iters = 100000
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0.,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
