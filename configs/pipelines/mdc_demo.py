# MDC (Wei et al., CVPR 2018): multi-dilated convolution heads.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'mdc'
seed = 'mdc'
seed_config = 'demo/mdc_r18_demo.py'
refine = 'crf'
