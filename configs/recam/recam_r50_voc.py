# ReCAM (Chen et al., CVPR 2022; step/train_recam.py, run_sample.py):
# fine-tune the CAM classifier of ReCAM's pipeline (cam_r50_voc_recam.py)
# with the ReCAM head, λ = 1, 1 GPU x 16, 4 epochs. Point load_from at that
# checkpoint, e.g.
#   python tools/train.py configs/recam/cam_r50_voc_recam.py
#   python tools/train.py configs/recam/recam_r50_voc.py \
#       --cfg-options load_from=work_dirs/cam_r50_voc_recam/epoch_5.pth
# Seed threshold (0.21), IR-label thresholds (0.35 / 0.10) and random-walk
# background (0.28) come with the CAM stage: ReCAM's run_sample.py uses one
# set for both.
_base_ = './cam_r50_voc_recam.py'
load_from = 'work_dirs/cam_r50_voc_recam/epoch_5.pth'
# It fine-tunes recam/cam_r50_voc_recam.py's classifier: its pipeline
# config (configs/pipelines/recam_voc.py) trains it first and sets load_from
# to its checkpoint (the path above is where tools/train.py puts it).
model = dict(
    # As in the CAM stage, only conv1/bn1 are frozen (Net.train); the
    # weights come from load_from.
    backbone=dict(frozen_stages=0, init_cfg=None),
    cam_head=dict(type='ReCAMHead', recam_loss_weight=1.0))
# PolyOptimizer groups of train_recam.py: backbone and first classifier at
# 0.1 * recam_learning_rate = 5e-5, the ReCAM classifier at 5e-4, weight
# decay 1e-4 everywhere, momentum slot 1e-4 (none here).
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
