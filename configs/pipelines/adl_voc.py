# ADL (Choe & Shim, CVPR 2019): attention-based dropout in the classifier.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'adl'
seed = 'adl'
seed_config = 'adl/adl_r50_voc.py'
refine = 'crf'
