# ReCAM (Chen et al., CVPR 2022): the CAM classifier fine-tuned with the ReCAM
# loss; labels by IRN's random walk (the paper's pipeline).
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'recam'
seed = 'recam'
seed_config = 'demo/recam_r18_demo.py'
# What its training starts from, as comparisons show it.
starts_from = 'fine-tunes CAM'
refine = 'irn'
stages = {
    'cam/train': dict(type='TrainClassifier', config='demo/cam_r18_demo.py'),
    # Fine-tunes the checkpoint of demo/cam_r18_demo.py.
    '{seed}/train': dict(load_from='cam/train'),
}
