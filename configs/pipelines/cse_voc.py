# OC-CSE (Kweon et al., ICCV 2021): class-specific erasing against the frozen
# CAM classifier; labels by AffinityNet's random walk (the paper's pipeline).
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'cse'
seed = 'cse'
seed_config = 'cse/cse_r50_voc.py'
# What its training starts from, as comparisons show it.
starts_from = 'scratch + frozen CAM'
refine = 'psa'
stages = {
    'cam/train': dict(type='TrainClassifier', config='cam/cam_r50_voc.py'),
    # Freezes the classifier of cam/cam_r50_voc.py as its ordinary classifier.
    '{seed}/train': dict(ordinary='cam/train'),
}
