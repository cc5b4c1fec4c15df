# DeepLab-v2 (ASPP-L, multi-scale inputs with max fusion, labels subsampled
# to the logits) on the demo pseudo labels, from scratch on the CPU. The
# paper recipe starts from ImageNet weights with frozen batch norm and a
# 10x/20x head learning rate, which a network trained from scratch cannot
# use: here a narrow ResNet-18 d8 with trainable batch norm, one learning
# rate for all layers, 128 crops, 8 images a batch and 400 iterations, as
# the EncNet demo (encnet_r18_demo.py).
_base_ = ['../deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12-pseudo-321x321.py']
data_root = 'data/demo'
crop_size = (128, 128)
num_classes = 6
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        depth=18,
        stem_channels=32,
        base_channels=32,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    decode_head=dict(in_channels=256, num_classes=num_classes))
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
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
max_iters = 400
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=1e-4,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# Every 50 iterations (the last one kept), so that an interrupted stage
# resumes close to where it stopped.
default_hooks = dict(checkpoint=dict(interval=50, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
