# ReCAM (Chen et al., CVPR 2022): the CAM classifier fine-tuned with the ReCAM
# loss; labels by IRN's random walk (the paper's pipeline).
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'recam'
seed = 'recam'
seed_config = 'recam/recam_r50_voc.py'
# What its training starts from, as comparisons show it.
starts_from = 'fine-tunes CAM'
refine = 'irn'
stages = {
    'cam_r50_voc_recam/train': dict(type='TrainClassifier', config='recam/cam_r50_voc_recam.py'),
    # Fine-tunes the checkpoint of recam/cam_r50_voc_recam.py.
    '{seed}/train': dict(load_from='cam_r50_voc_recam/train'),
}
