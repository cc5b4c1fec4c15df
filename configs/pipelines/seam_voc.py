# SEAM (Wang et al., CVPR 2020): equivariant attention between two views.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'seam'
seed = 'seam'
seed_config = 'seam/seam_r50_voc.py'
refine = 'crf'
