# ReCAM on the demo data: fine-tune the demo CAM classifier with the ReCAM
# head (run_pipeline trains it first and passes its checkpoint as
# load_from). From scratch, the official learning rates
# (5e-5 / 5e-4) barely move a network trained with lr 0.05, so this uses a
# tenth of the CAM demo's rate, new classifier 10x.
_base_ = './cam_r18_demo.py'
max_epochs = 10
model = dict(
    cam_head=dict(type='ReCAMHead', recam_loss_weight=1.0))
optim_wrapper = dict(
    optimizer=dict(lr=0.005),
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
# Every epoch (the last one kept), so that an interrupted stage resumes
# where it stopped.
default_hooks = dict(checkpoint=dict(interval=1, max_keep_ckpts=1))
# ReCAM's refinement settings (its run_sample.py), as recam_r50_voc.py.
ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
random_walk_cfg = dict(bg_threshold=0.28)
