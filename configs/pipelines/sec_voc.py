# SEC (Kolesnikov & Lampert, ECCV 2016): a segmentation network trained on CAM
# cues with the seed, expand and constrain losses; its own labels are the
# pseudo labels (no CRF or walk follows).
# Preset voc: see configs/_base_/pipelines/voc12.py.
_base_ = '../_base_/pipelines/voc12.py'
method = 'sec'
seed = 'sec'
seed_config = 'sec/sec_r50_voc.py'
# What its training starts from, as comparisons show it.
starts_from = 'CAM seeds as cues'
refine = 'sec'
# SEC's cues are read off the CAM classifier's seeds.
stages = {
    # Not a CAM-style method: its own seed stages.
    '{seed}/train': None,
    '{seed}/cams': None,
    '{seed}/seeds': None,
    '{seed}/summary': None,
    'cam/train': dict(type='TrainClassifier', config='cam/cam_r50_voc.py'),
    'cam/cams': dict(type='MakeCAMs', classifier='cam/train'),
    'cam/seeds': dict(type='SeedEvaluation', cams='cam/cams'),
    'cam/summary': dict(
        type='SeedSummary',
        classifier='cam/train',
        cams='cam/cams',
        seeds='cam/seeds'),
    'sec/cues': dict(type='SECCues', cams='cam/cams', config=seed_config),
    'sec/cue_eval': dict(type='LabelEvaluation', labels='sec/cues'),
    # On the demo the network starts from the CAM classifier's weights
    # (its config's init_from_cam_classifier: no ImageNet weights offline).
    'sec/train': dict(
        type='TrainSegmentor',
        config=seed_config,
        labels='sec/cues',
        init_from='cam/train',
        options='seed_cfg_options',
        train_dir='segmentor'),
    'sec/labels': dict(type='SECLabels', trained='sec/train'),
    'sec/label_eval': dict(type='LabelEvaluation', labels='sec/labels'),
    'sec/summary': dict(
        type='SECSummary',
        config=seed_config,
        cues='sec/cues',
        cue_eval='sec/cue_eval',
        trained='sec/train',
        labels='sec/labels',
        label_eval='sec/label_eval',
        cams='cam/cams'),
    # The labels the segmentor trains on: of the CAM split (the seed
    # split's when they are the same).
    'sec_labels': dict(
        type='SECLabels',
        trained='sec/train',
        split='cam',
        same_as='sec/labels'),
    'sec_eval': dict(type='LabelEvaluation', labels='sec_labels'),
    'sec_refinement': dict(type='RefinementSummary'),
    'figures': dict(cams='cam/cams', crf_labels=None),
    'summary': dict(crf_labels=None, crf=None),
}
