# ACoL (Zhang et al., CVPR 2018): adversarial complementary heads.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'acol'
seed = 'acol'
seed_config = 'acol/acol_r50_voc.py'
refine = 'crf'
