# ToCo (Ru et al., CVPR 2023): single-stage; its own segmentation is the
# result (tools/test.py). In the pipeline its classifier's CAMs are seeds
# like any method's, refined by PAR, ToCo's own online refinement.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'toco'
seed = 'toco'
seed_config = 'demo/toco_vit-t_demo.py'
starts_from = 'scratch (single-stage ViT)'
refine = 'par'
