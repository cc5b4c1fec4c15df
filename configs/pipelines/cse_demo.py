# OC-CSE (Kweon et al., ICCV 2021): class-specific erasing against the frozen
# CAM classifier; labels by AffinityNet's random walk (the paper's pipeline).
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'cse'
seed = 'cse'
seed_config = 'demo/cse_r18_demo.py'
# What its training starts from, as comparisons show it.
starts_from = 'scratch + frozen CAM'
refine = 'psa'
stages = {
    'cam/train': dict(type='TrainClassifier', config='demo/cam_r18_demo.py'),
    # Freezes the classifier of demo/cam_r18_demo.py as its ordinary classifier.
    '{seed}/train': dict(ordinary='cam/train'),
}
