# CAM (Zhou et al., CVPR 2016): a classifier's class activation maps as seeds;
# labels by IRN's random walk (the IRN paper's pipeline).
# Preset coco: see configs/_base_/pipelines/coco14.py.
_base_ = '../_base_/pipelines/coco14.py'
method = 'cam'
seed = 'cam'
seed_config = 'cam/cam_r50_coco.py'
refine = 'crf'
