# SAM_WSSS (Chen et al., 2023; cskyl/SAM_WSSS merge/max_iou_imp2.py): any
# pseudo labels merged with SAM ViT-H's automatic masks. Meta's released
# checkpoint is read as it is (no conversion); the generator's settings are
# segment-anything's defaults, which its scripts/amg.py (the mask folders
# SAM_WSSS reads) uses.
#   python tools/merge_masks.py configs/mask_merge/sam-vit-h_merge_voc12.py \
#       --labels work_dirs/clip_es/crf_labels \
#       --data-root data/VOCdevkit/VOC2012 \
#       --split train_aug --mask-dir work_dirs/masks/sam_vit_h \
#       --out-dir work_dirs/clip_es/sam_merged_labels
mask_source = dict(
    type='SAMMasks',
    checkpoint='checkpoints/sam_vit_h_4b8939.pth',
    model_type='vit_h',
    generator=dict(
        points_per_side=32,
        pred_iou_thresh=0.88,
        stability_score_thresh=0.95,
        crop_n_layers=0,
        min_mask_region_area=0))
# max_iou_imp2: a mask goes to a class when more than half of it is in the
# class's label, or when it covers 85 % of that label. keep_ignore keeps the
# 255 of labels that have unsure pixels (SAM_WSSS's have none).
merge_cfg = dict(mask_ratio=0.5, label_coverage=0.85, keep_ignore=True)
