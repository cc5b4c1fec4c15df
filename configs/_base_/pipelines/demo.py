# The demo preset: generated data in VOC layout (tools/make_demo_data.py),
# CAMs and seeds of the train split, the segmentor tested on val.
_base_ = './psa.py'
preset = 'demo'
data = dict(
    cam_split='train',
    seed_split='train',
    val_split='val',
    true_mask_dir='SegmentationClass')
irn_config = 'demo/irn_r18_demo.py'
psa_config = 'demo/affinitynet_r18_demo.py'
seg_config = 'demo/encnet_r18_demo.py'
# No ImageNet weights offline: the affinity networks start from the seed
# classifier's backbone.
stages = {
    'irn_train': dict(init_from='{seed_classifier}'),
    'psa_train': dict(init_from='{seed_classifier}'),
    # Ten passes over the training split whatever its size (400 iterations
    # of 8 on the demo's 320 images).
    'segmentation': dict(epochs=10),
    'full_supervision': dict(epochs=10),
}
# Superpixels as the demo's mask proposals (no SAM weights offline): SLIC
# of about 200 regions, compactness 20, smoothed at sigma 1 (the best of a
# sweep on the demo's train split; see configs/mask_merge/README.md).
mask_source = dict(
    type='SuperpixelMasks',
    method='slic',
    levels=[dict(n_segments=200, compactness=20, sigma=1)])
