# Class-specific erasing with a ReCAM head: the CAM network is trained with
# BCE + ReCAM's SCE + the erasing loss against the frozen demo CAM
# classifier; its ReCAM maps (product of both classifiers) set the mask.
_base_ = './cse_r18_demo.py'
model = dict(cam_head=dict(type='ReCAMHead', recam_loss_weight=1.0))
