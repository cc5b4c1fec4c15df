# CLIP-ES on COCO 2014 (generate_cams_coco14.py): the VOC recipe with
# COCO's 80 names and synonyms, CLIP-ES's 23 COCO background names, and
# boxes at 0.7.
_base_ = [
    '../_base_/models/clip-es_vit-b16.py', '../_base_/datasets/coco14_wsss.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
default_scope = 'mmseg'
model = dict(
    # clip_text.py's new_class_names_coco (its 'sknowboard' kept as it is).
    class_names=[
        'person with clothes,people,human', 'bicycle', 'car', 'motorbike',
        'aeroplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
        'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird avian',
        'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra',
        'giraffe', 'backpack,bag', 'umbrella,parasol', 'handbag,purse',
        'necktie', 'suitcase', 'frisbee', 'skis', 'sknowboard',
        'sports ball', 'kite', 'baseball bat', 'glove', 'skateboard',
        'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
        'knife', 'dessertspoon', 'bowl', 'banana', 'apple', 'sandwich',
        'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake',
        'chair seat', 'sofa', 'pottedplant', 'bed', 'diningtable', 'toilet',
        'tvmonitor screen', 'laptop', 'mouse', 'remote control', 'keyboard',
        'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator',
        'book', 'clock', 'vase', 'scissors', 'teddy bear',
        'hairdrier,blowdrier', 'toothbrush'
    ],
    background_names=[
        'ground', 'land', 'grass', 'tree', 'building', 'wall', 'sky', 'lake',
        'water', 'river', 'sea', 'railway', 'railroad', 'helmet', 'cloud',
        'house', 'mountain', 'ocean', 'road', 'rock', 'street', 'valley',
        'bridge'
    ],
    test_cfg=dict(box_threshold=0.7))
# CLIP-ES's pseudo masks (eval_cam_with_crf.py), for make_pseudo_labels
# --confident-crf and the pipeline: background (1 - max CAM) ** 1, its CRF
# (mmwsss.pseudo_labels.CLIP_ES_CRF) and pixels below a confidence of 0.95
# ignored.
pseudo_label_cfg = dict(alpha=1.0, min_confidence=0.95)
