# ACoL (Zhang et al., CVPR 2018): adversarial complementary heads.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'acol'
seed = 'acol'
seed_config = 'demo/acol_r18_demo.py'
refine = 'crf'
