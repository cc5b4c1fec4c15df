# ToCo on PASCAL VOC 2012 as scripts/dist_train_voc_seg_neg.py with
# --backbone vit_base_patch16_224 (the README's 69.2 / 71.1 val):
# 2 GPUs x 2 images, 448 crops, 20k iterations,
#   bash tools/dist_train.sh configs/toco/toco_vit-b16_2xb2-20k_voc12-448x448.py 2
# (on one GPU, `--cfg-options train_dataloader.batch_size=4` keeps ToCo's
# batch of 4). Every deviation is in configs/toco/README.md.
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/toco_vit-b16.py',
    '../_base_/datasets/voc12_wsss.py', '../_base_/schedules/toco_20k.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
train_dataloader = dict(
    batch_size=2,
    num_workers=10,
    # ToCo's loader drops the last incomplete batch.
    drop_last=True,
    dataset=dict(pipeline={{_base_.toco_train_pipeline}}))
model = dict(
    train_cfg=dict(
        high_threshold=0.7,
        low_threshold=0.25,
        cam_scales=(1.0, 0.5, 1.5),
        loss_weights=dict(
            cls=1.0, cls_aux=1.0, ptc=0.2, ctc=0.5, seg=0.1, reg=0.05),
        loss_start=dict(ptc=0, ctc=0, seg=2001, reg=2001),
        ctc_temperature=0.5,
        teacher_momentum=0.9),
    # infer_seg_voc.py: the original image at 1, 1.5 and 1.25, flips
    # summed, the scales' maximum; `model.test_cfg.crf={}` adds ToCo's
    # dense CRF (the README's "+ CRF" rows).
    test_cfg=dict(scales=(1.0, 1.5, 1.25), flip=True, scale_merge='max'))
randomness = dict(seed=0)
