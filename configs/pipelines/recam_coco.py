# ReCAM (Chen et al., CVPR 2022): the CAM classifier fine-tuned with the ReCAM
# loss; labels by IRN's random walk (the paper's pipeline).
# Preset coco: see configs/_base_/pipelines/coco14.py.
_base_ = '../_base_/pipelines/coco14.py'
method = 'recam'
seed = 'recam'
seed_config = 'recam/recam_r50_coco.py'
# What its training starts from, as comparisons show it.
starts_from = 'fine-tunes CAM'
refine = 'crf'
stages = {
    'cam/train': dict(type='TrainClassifier', config='cam/cam_r50_coco.py'),
    # Fine-tunes the checkpoint of cam/cam_r50_coco.py.
    '{seed}/train': dict(load_from='cam/train'),
}
