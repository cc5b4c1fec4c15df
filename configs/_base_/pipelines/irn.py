_base_ = './crf.py'
# IRN's refinement (Ahn et al., CVPR 2019): the boundary network trained on
# the seeds' confident regions, its random walk's scores swept on the seed
# split, and the labels at the swept (or random_walk_cfg's) background;
# refine='irn+crf' puts a dense CRF on the same scores. ``irn_config`` is
# the preset's network config.
stages = {
    'irn_train_labels':
    dict(
        type='AffinityTrainingLabels',
        cams='{seed}/cams',
        walk='irn',
        config='{irn_config}'),
    'irn_train_labels_eval':
    dict(type='LabelEvaluation', labels='irn_train_labels'),
    'irn_train':
    dict(
        type='TrainAffinityNet',
        labels='irn_train_labels',
        walk='irn',
        config='{irn_config}'),
    'irn_boundary_eval':
    dict(type='BoundaryEvaluation', trained='irn_train'),
    'irn_scores':
    dict(
        type='RandomWalk',
        trained='irn_train',
        cams='{seed}/cams',
        walk='irn',
        config='{irn_config}',
        output='scores'),
    'irn_scores_eval':
    dict(type='SeedEvaluation', cams='irn_scores', what='label'),
    'irn_labels':
    dict(
        type='ScoreLabels',
        scores='irn_scores',
        sweep='irn_scores_eval',
        config='{irn_config}'),
    'irn_eval':
    dict(type='LabelEvaluation', labels='irn_labels'),
    'irn_crf_labels':
    dict(
        type='ScoreLabels',
        scores='irn_scores',
        sweep='irn_scores_eval',
        config='{irn_config}',
        crf=True),
    'irn_crf_eval':
    dict(type='LabelEvaluation', labels='irn_crf_labels'),
    'irn_refinement':
    dict(
        type='RefinementSummary',
        labels='irn_labels',
        trained='irn_train',
        train_labels='irn_train_labels_eval',
        boundary='irn_boundary_eval',
        score_sweep='irn_scores_eval',
        scores='irn_scores'),
    'irn_crf_refinement':
    dict(
        type='RefinementSummary',
        labels='irn_crf_labels',
        trained='irn_train',
        train_labels='irn_train_labels_eval',
        boundary='irn_boundary_eval',
        score_sweep='irn_scores_eval',
        scores='irn_scores'),
    'irn_merge_labels':
    dict(
        type='MergeLabels',
        labels='irn_labels',
        masks='masks/proposals',
        refine='irn+merge'),
    'irn_merge_eval':
    dict(type='LabelEvaluation', labels='irn_merge_labels'),
    'irn_merge_refinement':
    dict(
        type='RefinementSummary',
        labels='irn_merge_labels',
        trained='irn_train',
        train_labels='irn_train_labels_eval',
        boundary='irn_boundary_eval',
        score_sweep='irn_scores_eval',
        scores='irn_scores'),
    'irn_crf_merge_labels':
    dict(
        type='MergeLabels',
        labels='irn_crf_labels',
        masks='masks/proposals',
        refine='irn+crf+merge'),
    'irn_crf_merge_eval':
    dict(type='LabelEvaluation', labels='irn_crf_merge_labels'),
    'irn_crf_merge_refinement':
    dict(
        type='RefinementSummary',
        labels='irn_crf_merge_labels',
        trained='irn_train',
        train_labels='irn_train_labels_eval',
        boundary='irn_boundary_eval',
        score_sweep='irn_scores_eval',
        scores='irn_scores'),
}
