# ToCo on MS-COCO 2014 as scripts/dist_train_coco_seg_neg.py (the README's
# 42.2 val with multi-scale + CRF): 4 GPUs x 2 images, 448 crops, 80k
# iterations, background thresholds 0.65 / 0.25, CTC temperature 1.0, and
# COCO's staged losses: the classifiers alone for 8000 iterations, then the
# segmentation on labels of the auxiliary CAMs, then from 12000 the token
# contrasts and labels of the last CAMs.
#   bash tools/dist_train.sh configs/toco/toco_vit-b16_4xb2-80k_coco14-448x448.py 4
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/toco_vit-b16.py',
    '../_base_/datasets/coco14_wsss.py', '../_base_/schedules/toco_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
max_iters = 80000
train_dataloader = dict(
    batch_size=2,
    num_workers=10,
    # ToCo's loader drops the last incomplete batch.
    drop_last=True,
    dataset=dict(pipeline={{_base_.toco_train_pipeline}}))
model = dict(
    decode_head=dict(num_classes=81),
    train_cfg=dict(
        high_threshold=0.65,
        low_threshold=0.25,
        loss_start=dict(ptc=12001, ctc=12001, seg=8001, reg=8001),
        aux_labels_until=12001,
        ctc_temperature=1.0),
    # infer_seg_coco_ddp.py: scales 1, 1.25, 1.5, the flips' maximum,
    # scales summed.
    test_cfg=dict(
        scales=(1.0, 1.25, 1.5), flip=True, flip_merge='max',
        scale_merge='sum'))
param_scheduler = [
    dict(
        type='PolyWarmupLR',
        warmup_iters=1500,
        warmup_ratio=1e-6,
        max_iters=max_iters,
        power=0.9,
        by_epoch=False)
]
# ToCo validates every 4000 iterations on val_part, 4999 of val2014's
# 40137 images, at one scale; mmwsss tests the final model on all of val
# (multi-scale), since a multi-scale pass over val2014 costs hours.
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=4000))
randomness = dict(seed=0)
