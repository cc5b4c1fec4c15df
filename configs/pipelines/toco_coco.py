# ToCo (Ru et al., CVPR 2023): single-stage; its own segmentation is the
# result (tools/test.py). In the pipeline its classifier's CAMs are seeds
# like any method's, refined by PAR, ToCo's own online refinement.
# Preset coco: see configs/_base_/pipelines/coco14.py.
_base_ = '../_base_/pipelines/coco14.py'
method = 'toco'
seed = 'toco'
seed_config = 'toco/toco_vit-b16_4xb2-80k_coco14-448x448.py'
starts_from = 'ImageNet ViT-B/16 (single-stage)'
refine = 'par'
