# PASCAL VOC 2012 with the SBD augmentation: CAMs and labels of train_aug,
# seeds and labels evaluated on train (the papers' figures), the segmentor
# (DeepLab-v2, as the papers: IRN 63.5, ReCAM 68.5 val) tested on val.
_base_ = './psa.py'
preset = 'voc'
data = dict(
    cam_split='train_aug',
    seed_split='train',
    val_split='val',
    true_mask_dir='SegmentationClassAug')
irn_config = 'irn/irn_r50_voc.py'
psa_config = 'affinitynet/affinitynet_r50_voc.py'
seg_config = 'deeplabv2/deeplabv2_r101-d8_1xb10-20k_voc12-pseudo-321x321.py'
# SAM_WSSS's mask proposals: SAM ViT-H's automatic masks with the
# generator's defaults (Meta's sam_vit_h_4b8939.pth, read as it is).
mask_source = dict(
    type='SAMMasks',
    checkpoint='checkpoints/sam_vit_h_4b8939.pth',
    model_type='vit_h')
