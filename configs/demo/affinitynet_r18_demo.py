# AffinityNet on the generated demo data, on the CPU. There are no ImageNet
# weights offline, so the backbone starts from the trained demo CAM
# classifier's (configs/demo/cam_r18_demo.py: the same narrow ResNet-18,
# here at output stride 8, which changes no weight shape) and is
# fine-tuned, as PSA fine-tunes its ImageNet backbone: set load_from to
# the classifier's checkpoint, e.g.
#   python tools/train.py configs/demo/affinitynet_r18_demo.py \
#       --cfg-options load_from=work_dirs/demo/cam/classifier/epoch_30.pth \
#       train_dataloader.dataset.pseudo_label_dir=<affinity label folder>
# (run_pipeline does both). The paper's momentum-free lr 0.1 with 10x on
# the new layers diverges from this start; momentum 0.9 and lr 0.01 learn
# within the demo's time.
_base_ = '../affinitynet/affinitynet_r50_voc.py'
data_root = 'data/demo'
crop_size = (128, 128)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        type='ResNetV1c',
        depth=18,
        stem_channels=32,
        base_channels=32,
        init_cfg=None),
    affinity_head=dict(in_channels=(64, 128, 256), num_classes=6))
# The official walk (2**8 steps) was tuned on VOC's ~375 x 500 images; on
# the demo's 128 x 128 ones it would spread each score over more than the
# whole grid. The relative rule holds its reach relative to the image
# (22 steps here; see configs/irn/README.md).
random_walk_cfg = dict(steps_rule='relative')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
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
max_epochs = 8
optim_wrapper = dict(optimizer=dict(lr=0.01, momentum=0.9))
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
