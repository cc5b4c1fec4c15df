# SEAM on the demo data, trained from scratch on the CPU. The recipe is the
# CAM demo's (narrow ResNet-18 with trained BN, momentum SGD lr 0.05, poly,
# 30 epochs of batch 16, every layer at 1x as the demo CAM head), since the
# paper recipe (frozen BN, ImageNet init, 8 epochs at lr 0.01) cannot learn
# from scratch on a few hundred images. SEAM's own parts are unchanged:
# the 0.3x second branch, dropout 0.5 before the classifier, the PCM on
# layer2 and layer3, the ER / ECR / min-pooling losses with weight 1.
_base_ = './cam_r18_demo.py'
model = dict(
    type='SEAMClassifier',
    backbone=dict(out_indices=(1, 2, 3)),
    pcm=dict(
        type='PixelCorrelationModule',
        in_channels=(64, 128),
        in_index=(0, 1),
        feat_channels=(64, 128),
        embed_channels=192),
    scale_factor=0.3,
    dropout_ratio=0.5,
    ecr_topk_ratio=0.2)
# SEAM's AffinityNet settings (infer_SEAM.py, infer_aff.py), as
# ../seam/seam_r50_voc.py.
affinity_label_cfg = dict(low_alpha=4, high_alpha=24)
random_walk_cfg = dict(alpha=6, beta=8, logt=6, radius=5)
