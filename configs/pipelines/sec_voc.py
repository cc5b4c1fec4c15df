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
stages = {
    # Not a CAM-style method: its own seed stages.
    '{seed}/train': None,
    '{seed}/cams': None,
    '{seed}/seeds': None,
    '{seed}/summary': None,
    # The CAM classifier's seeds, SEC's cues read off them, its network and
    # its labels (mmwsss.pipeline.stages.SEC lists the stages).
    'sec/summary':
    dict(type='SEC', config=seed_config, cam_config='cam/cam_r50_voc.py'),
    'figures': dict(cams='cam/cams', crf_labels=None),
    'summary': dict(crf_labels=None, crf=None),
}
