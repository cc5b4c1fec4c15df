# IRN's boundary network as ReCAM (Chen et al., CVPR 2022) uses it to refine
# ReCAM seeds: the same network and schedule, with ReCAM's run_sample.py
# thresholds (IR labels conf_fg_thres 0.35 / conf_bg_thres 0.10, random
# walk background 0.28), IR labels made from the ReCAM maps and boundary
# inference without padding (below).
_base_ = './irn_r50_voc.py'
ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
random_walk_cfg = dict(bg_threshold=0.28)
# ReCAM's net/resnet50_irn.py EdgeDisplacement.forward runs the boundary
# network on the image (and its flip) at its own size: the line padding it
# to crop_size is commented out. The head's GroupNorm statistics depend on
# the padding, so the boundary maps are not IRN's.
model = dict(test_cfg=dict(pad_to_crop=False))
