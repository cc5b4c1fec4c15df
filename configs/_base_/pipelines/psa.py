_base_ = './irn.py'
# PSA's refinement (Ahn & Kwak, CVPR 2018): AffinityNet trained on the
# seeds' two power-background maps, its background exponent alpha swept on
# the seed split (bg_rule='config': random_walk_cfg's alpha), and its random
# walk's labels; refine='psa+crf' puts a dense CRF on them. ``psa_config``
# is the preset's network config.
stages = {
    'psa_train_labels':
    dict(
        type='AffinityTrainingLabels',
        cams='{seed}/cams',
        walk='psa',
        config='{psa_config}'),
    'psa_train_labels_eval':
    dict(type='LabelEvaluation', labels='psa_train_labels'),
    'psa_train':
    dict(
        type='TrainAffinityNet',
        labels='psa_train_labels',
        walk='psa',
        config='{psa_config}'),
    'psa_boundary_eval':
    dict(type='BoundaryEvaluation', trained='psa_train'),
    'psa_alpha_eval':
    dict(
        type='PSAAlphaSweep',
        trained='psa_train',
        cams='{seed}/cams',
        config='{psa_config}'),
    'psa_labels':
    dict(
        type='RandomWalk',
        trained='psa_train',
        cams='{seed}/cams',
        walk='psa',
        config='{psa_config}',
        alpha_from='psa_alpha_eval'),
    'psa_eval':
    dict(type='LabelEvaluation', labels='psa_labels'),
    'psa_crf_labels':
    dict(
        type='RandomWalk',
        trained='psa_train',
        cams='{seed}/cams',
        walk='psa',
        config='{psa_config}',
        alpha_from='psa_alpha_eval',
        crf=True),
    'psa_crf_eval':
    dict(type='LabelEvaluation', labels='psa_crf_labels'),
    'psa_refinement':
    dict(
        type='RefinementSummary',
        labels='psa_labels',
        trained='psa_train',
        train_labels='psa_train_labels_eval',
        boundary='psa_boundary_eval',
        alpha_sweep='psa_alpha_eval'),
    'psa_crf_refinement':
    dict(
        type='RefinementSummary',
        labels='psa_crf_labels',
        trained='psa_train',
        train_labels='psa_train_labels_eval',
        boundary='psa_boundary_eval',
        alpha_sweep='psa_alpha_eval'),
    'psa_merge_labels':
    dict(
        type='MergeLabels',
        labels='psa_labels',
        masks='masks/proposals',
        refine='psa+merge'),
    'psa_merge_eval':
    dict(type='LabelEvaluation', labels='psa_merge_labels'),
    'psa_merge_refinement':
    dict(
        type='RefinementSummary',
        labels='psa_merge_labels',
        trained='psa_train',
        train_labels='psa_train_labels_eval',
        boundary='psa_boundary_eval',
        alpha_sweep='psa_alpha_eval'),
    'psa_crf_merge_labels':
    dict(
        type='MergeLabels',
        labels='psa_crf_labels',
        masks='masks/proposals',
        refine='psa+crf+merge'),
    'psa_crf_merge_eval':
    dict(type='LabelEvaluation', labels='psa_crf_merge_labels'),
    'psa_crf_merge_refinement':
    dict(
        type='RefinementSummary',
        labels='psa_crf_merge_labels',
        trained='psa_train',
        train_labels='psa_train_labels_eval',
        boundary='psa_boundary_eval',
        alpha_sweep='psa_alpha_eval'),
}
