# MS-COCO 2014 with image-level labels from the instances JSONs: train2014
# (images with at least one annotation) for the classifier, val2014 with the
# masks of tools/convert_coco.py for evaluation. Pipelines and evaluators
# are VOC's.
_base_ = './voc12_wsss.py'
dataset_type = 'WSSSCOCODataset'
data_root = 'data/coco'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_train2014.json',
        data_prefix=dict(
            img_path='train2014',
            seg_map_path='SegmentationClass/train2014'),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/instances_val2014.json',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014'),
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
