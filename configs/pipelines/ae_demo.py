# Adversarial erasing (Wei et al., CVPR 2017): classifiers trained round by
# round on images with the earlier rounds' regions erased; their CAMs merged.
# Preset demo: see configs/_base_/pipelines/demo.py.
_base_ = '../_base_/pipelines/demo.py'
method = 'ae'
seed = 'ae'
seed_config = 'demo/ae_r18_demo.py'
# What its training starts from, as comparisons show it.
starts_from = 'scratch, 3 rounds'
refine = 'crf'
# The last round's classifier.
seed_classifier = 'ae/round_3/train'
stages = {
    # Not a CAM-style method: its own seed stages.
    '{seed}/train': None,
    '{seed}/cams': None,
    '{seed}/seeds': None,
    '{seed}/summary': None,
    'ae/summary': dict(type='AdversarialErasing', config=seed_config),
}
