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
    # Mask-proposal merging (SAM_WSSS's rule, refine='<labels>+merge'): one
    # cache of the preset's ``mask_source`` for the work dir, merged into
    # any labels.
    'masks/proposals':
    dict(type='MaskProposals'),
    'crf_merge_labels':
    dict(
        type='MergeLabels',
        labels='crf_labels',
        masks='masks/proposals',
        refine='crf+merge'),
    'crf_merge_eval':
    dict(type='LabelEvaluation', labels='crf_merge_labels'),
    # CRF labels merged have no affinity network to summarise.
    'crf_merge_refinement':
    dict(type='RefinementSummary'),
    # PAR (AFA / ToCo's pixel-adaptive refinement) of the CAM files by
    # ToCo's label rule, both passes at the seeds' background.
    'par_labels':
    dict(
        type='CRFLabels',
        cams='{seed}/cams',
        seeds='{seed}/seeds',
        settings=dict(mode='par'),
        refine='par'),
    'par_eval':
    dict(type='LabelEvaluation', labels='par_labels'),
    'par_refinement':
    dict(type='RefinementSummary'),
    'par_merge_labels':
    dict(
        type='MergeLabels',
        labels='par_labels',
        masks='masks/proposals',
        refine='par+merge'),
    'par_merge_eval':
    dict(type='LabelEvaluation', labels='par_merge_labels'),
    'par_merge_refinement':
    dict(type='RefinementSummary'),
}
# The mask source of the merges: the preset's (superpixels on the demo,
# SAM on VOC and COCO); empty: none.
mask_source = dict()
