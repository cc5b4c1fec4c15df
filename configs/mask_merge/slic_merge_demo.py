# The merge with superpixels instead of SAM, where no SAM weights exist:
# scikit-image's SLIC, about 200 regions, compactness 20, sigma 1 (the best
# of a sweep on the demo's train split, see README.md). The demo pipeline's
# mask source (configs/_base_/pipelines/demo.py).
_base_ = './sam-vit-h_merge_voc12.py'
mask_source = dict(
    _delete_=True,
    type='SuperpixelMasks',
    method='slic',
    levels=[dict(n_segments=200, compactness=20, sigma=1)])
