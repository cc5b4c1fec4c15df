# ADL (Choe & Shim, CVPR 2019): attention-based dropout in the classifier.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'adl'
seed = 'adl'
seed_config = 'demo/adl_r18_demo.py'
refine = 'crf'
