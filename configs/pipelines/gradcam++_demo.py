# Grad-CAM++ (Chattopadhay et al., WACV 2018) on the CAM classifier's weights.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'gradcam++'
seed = 'gradcam++'
seed_config = 'demo/cam_r18_demo.py'
# What its training starts from, as comparisons show it.
starts_from = 'the CAM classifier'
refine = 'crf'
cam_method = 'gradcam++'
# The CAM classifier's weights, read with another rule: no training
# of its own.
seed_classifier = 'cam/train'
stages = {
    'cam/train': dict(type='TrainClassifier', config='demo/cam_r18_demo.py'),
    '{seed}/train': None,
}
