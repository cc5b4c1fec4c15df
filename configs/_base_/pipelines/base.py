# The stages every pipeline has: the seed stages of a CAM-style method (its
# classifier, its CAM files of the CAM split, their seeds swept on the seed
# split, its seed summary), the segmentor trained on the refined labels
# (``{refine_key}_labels``) and tested on the val split, the figures and
# the summary. A method config sets ``method``, ``seed`` (the folder of its
# seed stages, its name), ``seed_config`` (its stage-1 config) and
# ``refine``; one with other seed stages sets the four ``{seed}/...``
# stages to None and adds its own (configs/pipelines/ae_demo.py,
# sec_demo.py).
# Full supervision (the same segmentor on the true masks) runs when the
# summary names it: run_pipeline --full-supervision sets
# stages.summary.full_supervision='full_supervision'.
seed_classifier = '{seed}/train'
# What its training starts from, as comparisons show it.
starts_from = 'scratch'
cam_method = 'cam'
stages = {
    '{seed}/train':
    dict(type='TrainClassifier', config='{seed_config}'),
    '{seed}/cams':
    dict(type='MakeCAMs', classifier='{seed_classifier}',
         method='{cam_method}'),
    '{seed}/seeds':
    dict(type='SeedEvaluation', cams='{seed}/cams'),
    '{seed}/summary':
    dict(
        type='SeedSummary',
        classifier='{seed_classifier}',
        cams='{seed}/cams',
        seeds='{seed}/seeds',
        cam_method='{cam_method}'),
    'segmentation':
    dict(
        type='TrainSegmentor',
        config='{seg_config}',
        labels='{refine_key}_labels'),
    'full_supervision':
    dict(type='TrainSegmentor', config='{seg_config}'),
    'figures':
    dict(
        type='Figures',
        cams='{seed}/cams',
        labels='{refine_key}_labels',
        segmentation='segmentation',
        crf_labels='crf_labels',
        refinement='{refine_key}_refinement'),
    'summary':
    dict(
        type='PipelineSummary',
        seeds='{seed}/summary',
        crf_labels='crf_labels',
        crf='crf_eval',
        labels='{refine_key}_labels',
        pseudo='{refine_key}_eval',
        refinement='{refine_key}_refinement',
        segmentation='segmentation',
        full_supervision=None,
        figures='figures'),
}
targets = ['summary']
# Overrides of the stage-1, refinement and segmentation configs
# (run_pipeline --cfg-options / --refine-cfg-options / --seg-cfg-options).
seed_cfg_options = {}
refine_cfg_options = {}
seg_cfg_options = {}
# How the CRF labels and IRN's walk get their background: 'swept' (each the
# best of its own scores on the seed split) or 'config' (the configs').
bg_rule = 'swept'
