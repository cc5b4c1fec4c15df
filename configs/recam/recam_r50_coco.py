# ReCAM on MS-COCO 2014 (Chen et al., CVPR 2022; run_sample_coco.py,
# step_coco/train_recam.py): fine-tune the COCO CAM classifier
# (../cam/cam_r50_coco.py, ReCAM's COCO CAM stage) with the ReCAM head,
# λ = 0.1, 1 GPU x 6, 4 epochs, lr 5e-4 for the new classifier.
#   python tools/train.py configs/recam/recam_r50_coco.py \
#       --cfg-options load_from=work_dirs/cam_r50_coco/epoch_5.pth
_base_ = '../cam/cam_r50_coco.py'
load_from = 'work_dirs/cam_r50_coco/epoch_5.pth'
model = dict(
    backbone=dict(frozen_stages=0, init_cfg=None),
    cam_head=dict(type='ReCAMHead', recam_loss_weight=0.1))
# recam_batch_size of run_sample_coco.py.
train_dataloader = dict(batch_size=6)
max_epochs = 4
optim_wrapper = dict(
    optimizer=dict(lr=5e-5),
    paramwise_cfg=dict(
        custom_keys={
            'cam_head': dict(lr_mult=1.0),
            'cam_head.recam_classifier': dict(lr_mult=10.0)
        }))
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
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
