# CAM (Zhou et al., CVPR 2016): a classifier's class activation maps as seeds;
# labels by IRN's random walk (the IRN paper's pipeline).
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'cam'
seed = 'cam'
seed_config = 'cam/cam_r50_voc.py'
refine = 'irn'
