# ReCAM stage (Chen et al., CVPR 2022): fine-tune a trained CAM classifier
# with the ReCAM head. Point load_from at the CAM checkpoint, e.g.
#   python tools/train.py configs/recam/recam_r50_voc.py \
#       --cfg-options load_from=work_dirs/cam_r50_voc/epoch_5.pth
_base_ = '../cam/cam_r50_voc.py'
load_from = 'work_dirs/cam_r50_voc/epoch_5.pth'
model = dict(
    # ReCAM's network freezes only the stem (IRN also stops gradients
    # after the second stage).
    backbone=dict(frozen_stages=0, init_cfg=None),
    cam_head=dict(type='ReCAMHead', recam_loss_weight=1.0),
    test_cfg=dict(bg_threshold=0.5))
# Official: 4 epochs, batch 16, lr 5e-4 for the new classifier and 5e-5 for
# the backbone and the first classifier, weight decay 1e-4, poly decay.
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
# ReCAM's refinement settings (run_sample.py): IR labels from the ReCAM maps
# with conf_fg_thres 0.35 / conf_bg_thres 0.10 and the random walk's
# background at 0.28; run_pipeline and the tools read them from here.
ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
random_walk_cfg = dict(bg_threshold=0.28)
