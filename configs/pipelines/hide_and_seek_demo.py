# Hide-and-Seek (Singh & Lee, ICCV 2017): random patches hidden in training.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'hide_and_seek'
seed = 'hide_and_seek'
seed_config = 'demo/has_r18_demo.py'
refine = 'crf'
