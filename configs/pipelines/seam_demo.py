# SEAM (Wang et al., CVPR 2020): equivariant attention between two views.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'seam'
seed = 'seam'
seed_config = 'demo/seam_r18_demo.py'
refine = 'crf'
