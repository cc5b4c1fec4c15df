_base_ = './base.py'
# Dense-CRF pseudo labels of the seeds (constant background, argmax, CRF).
# Every pipeline makes them: trained on with refine='crf', else made on the
# seed split only and evaluated beside the random walk's.
stages = {
    'crf_labels':
    dict(type='CRFLabels', cams='{seed}/cams', seeds='{seed}/seeds'),
    'crf_eval':
    dict(type='LabelEvaluation', labels='crf_labels'),
    # The CRF labels refine nothing further.
    'crf_refinement':
    dict(type='RefinementSummary'),
}
