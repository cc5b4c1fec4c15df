# MDC (Wei et al., CVPR 2018): multi-dilated convolution heads.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'mdc'
seed = 'mdc'
seed_config = 'mdc/mdc_r50_voc.py'
refine = 'crf'
