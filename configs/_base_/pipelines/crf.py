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
}
# The mask source of the merges: the preset's (superpixels on the demo,
# SAM on VOC and COCO); empty: none.
mask_source = dict()
