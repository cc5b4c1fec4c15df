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
