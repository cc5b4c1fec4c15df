# ToCo (Ru et al., CVPR 2023): single-stage; its own segmentation is the
# result (tools/test.py). In the pipeline its classifier's CAMs are seeds
# like any method's, refined by PAR, ToCo's own online refinement.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'toco'
seed = 'toco'
seed_config = 'toco/toco_vit-b16_2xb2-20k_voc12-448x448.py'
starts_from = 'ImageNet ViT-B/16 (single-stage)'
refine = 'par'
