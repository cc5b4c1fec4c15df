# CLIP-ES (Lin et al., CVPR 2023): training-free CAMs of a frozen CLIP
# ViT-B/16 with CAA, its confidence-ignoring CRF pseudo masks, DeepLab-v2
# trained on them (the paper's pipeline).
# Preset coco: see configs/_base_/pipelines/coco14.py.
_base_ = '../_base_/pipelines/coco14.py'
method = 'clip_es'
seed = 'clip_es'
seed_config = 'clip_es/clip-es_vit-b16_coco.py'
starts_from = 'frozen CLIP (no training)'
refine = 'crf'
stages = {
    # Nothing is trained: the converted CLIP checkpoint of the config.
    '{seed}/train': dict(type='PretrainedModel'),
    # eval_cam_with_crf.py: CRF over (1 - max CAM) ** 1, 255 below 0.95.
    'crf_labels': dict(settings=dict(mode='confident_crf')),
}
