# ADL's backbone with ReCAM's loss, fine-tuned from the CAM classifier.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'adl+recam'
seed = 'adl+recam'
seed_config = 'demo/adl_recam_r18_demo.py'
# What its training starts from, as comparisons show it.
starts_from = 'fine-tunes CAM'
refine = 'crf'
stages = {
    'cam/train': dict(type='TrainClassifier', config='demo/cam_r18_demo.py'),
    # Fine-tunes the checkpoint of demo/cam_r18_demo.py.
    '{seed}/train': dict(load_from='cam/train'),
}
