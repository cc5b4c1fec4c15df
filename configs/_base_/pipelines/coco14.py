# MS COCO 2014 (train2014/, val2014/, annotations/ and the masks of
# tools/convert_coco.py): CAMs, seeds and labels of train2014, the segmentor
# (DeepLab-v2) tested on val2014. No affinity refinement has a COCO config:
# the labels are the CRF's.
_base_ = './crf.py'
preset = 'coco'
data = dict(
    cam_split='train2014',
    seed_split='train2014',
    val_split='val2014',
    # None: the layout's, SegmentationClass/<split>.
    true_mask_dir=None)
seg_config = 'deeplabv2/deeplabv2_r101-d8_1xb10-100k_coco14-pseudo-321x321.py'
refine = 'crf'
# SAM ViT-H's automatic masks, as on VOC.
mask_source = dict(
    type='SAMMasks',
    checkpoint='checkpoints/sam_vit_h_4b8939.pth',
    model_type='vit_h')
