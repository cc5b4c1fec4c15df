# The CAM classifier of ReCAM's pipeline (Chen et al., CVPR 2022;
# step/train_cam.py with net/resnet50_cam.py), which recam_r50_voc.py
# fine-tunes: IRN's CAM recipe (../cam/cam_r50_voc.py) except that ReCAM's
# network freezes only conv1/bn1 and does not detach after layer2, so
# layer1..4 (BN affine parameters included, BN statistics fixed) are
# trained.
_base_ = '../cam/cam_r50_voc.py'
model = dict(
    backbone=dict(frozen_stages=0),
    # cam_eval_thres of ReCAM's run_sample.py.
    test_cfg=dict(bg_threshold=0.21))
# ReCAM's refinement settings (run_sample.py): IR labels with
# conf_fg_thres 0.35 / conf_bg_thres 0.10, random-walk background
# sem_seg_bg_thres 0.28.
ir_label_cfg = dict(fg_threshold=0.35, bg_threshold=0.10)
random_walk_cfg = dict(bg_threshold=0.28)
