# CLIP-ES on PASCAL VOC 2012 (generate_cams_voc12.py): training-free CAMs of
# CLIP ViT-B/16 with CAA, written by
#   python tools/make_cams.py configs/clip_es/clip-es_vit-b16_voc12.py \
#       --split train_aug --out-dir work_dirs/clip_es/cams
# (no checkpoint argument: the weights are model.init_cfg's).
_base_ = [
    '../_base_/models/clip-es_vit-b16.py', '../_base_/datasets/voc12_wsss.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
default_scope = 'mmseg'
model = dict(
    # clip_text.py's new_class_names: VOC's classes with CLIP-ES's
    # synonyms, written into one prompt each as CLIP-ES does.
    class_names=[
        'aeroplane', 'bicycle', 'bird avian', 'boat', 'bottle', 'bus', 'car',
        'cat', 'chair seat', 'cow', 'diningtable', 'dog', 'horse',
        'motorbike', 'person with clothes,people,human', 'pottedplant',
        'sheep', 'sofa', 'train', 'tvmonitor screen'
    ])
# CLIP-ES's pseudo masks (eval_cam_with_crf.py), for make_pseudo_labels
# --confident-crf and the pipeline: background (1 - max CAM) ** 1, its CRF
# (mmwsss.pseudo_labels.CLIP_ES_CRF) and pixels below a confidence of 0.95
# ignored.
pseudo_label_cfg = dict(alpha=1.0, min_confidence=0.95)
