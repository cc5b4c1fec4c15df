# IRN's boundary network on the generated demo data, on the CPU. There are
# no ImageNet weights offline, so the frozen backbone is the trained demo
# CAM classifier's (configs/demo/cam_r18_demo.py: the same narrow
# ResNet-18 at output stride 16): set load_from to its checkpoint, e.g.
#   python tools/train.py configs/demo/irn_r18_demo.py --cfg-options \
#       load_from=work_dirs/cam_r18_demo/epoch_30.pth \
#       train_dataloader.dataset.pseudo_label_dir=<ir label folder>
# (run_pipeline does both). Its cam_head weights are simply not used.
_base_ = '../irn/irn_r50_voc.py'
data_root = 'data/demo'
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=32,
        base_channels=32,
        contract_dilation=True,
        init_cfg=None),
    # Stem (after max-pool) and the four stages of the narrow ResNet-18.
    boundary_head=dict(in_channels=(32, 32, 64, 128, 256), num_classes=6),
    test_cfg=dict(crop_size=128))
# The official walk (2**8 steps) was tuned on VOC's ~375 x 500 images; on
# the demo's 128 x 128 ones it would spread each score over more than the
# whole grid. The relative rule holds its reach relative to the image
# (22 steps here; see configs/irn/README.md).
random_walk_cfg = dict(steps_rule='relative')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomRescale', scale_range=(0.5, 1.5)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='PackWSSSInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# 32 epochs (640 steps): the boundary map's AP against the true class edges
# of val rises with the length (8 / 16 / 32 epochs: 48.1 / 52.9 / 55.4 %,
# chance 15.2 %) and so do the walk's labels (78.8 / 81.0 / 82.3 mIoU);
# see configs/irn/README.md.
max_epochs = 32
# IRN's momentum-free SGD learns too slowly for so few steps: over 160
# steps it reached a boundary AP of 39 % on val against 52 % with momentum
# 0.9 (lr 0.3 did no better).
optim_wrapper = dict(optimizer=dict(lr=0.1, momentum=0.9))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(
    logger=dict(interval=10),
    # Every epoch (the last one kept), so that an interrupted stage
    # resumes where it stopped; a narrow ResNet-18 saves in milliseconds.
    checkpoint=dict(interval=1, max_keep_ckpts=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
