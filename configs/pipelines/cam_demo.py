# CAM (Zhou et al., CVPR 2016): a classifier's class activation maps as seeds;
# labels by IRN's random walk (the IRN paper's pipeline).
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'cam'
seed = 'cam'
seed_config = 'demo/cam_r18_demo.py'
refine = 'irn'
