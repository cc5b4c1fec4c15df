# Grad-CAM++ (Chattopadhay et al., WACV 2018) on the CAM classifier's weights.
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'gradcam++'
seed = 'gradcam++'
seed_config = 'cam/cam_r50_voc.py'
# What its training starts from, as comparisons show it.
starts_from = 'the CAM classifier'
refine = 'crf'
cam_method = 'gradcam++'
# The CAM classifier's weights, read with another rule: no training
# of its own.
seed_classifier = 'cam/train'
stages = {
    'cam/train': dict(type='TrainClassifier', config='cam/cam_r50_voc.py'),
    '{seed}/train': None,
}
