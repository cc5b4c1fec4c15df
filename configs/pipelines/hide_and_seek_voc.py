# Hide-and-Seek (Singh & Lee, ICCV 2017): random patches hidden in training.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'hide_and_seek'
seed = 'hide_and_seek'
seed_config = 'has/has_r50_voc.py'
refine = 'crf'
