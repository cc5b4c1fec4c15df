# Segmentation on MS-COCO 2014 pseudo labels (make_pseudo_labels --config
# configs/recam/recam_r50_coco.py --split train2014), evaluated on the
# val2014 masks of tools/convert_coco.py. Pipelines are VOC's.
_base_ = './voc12_pseudo.py'
data_root = 'data/coco'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WSSSCOCODataset',
        data_root=data_root,
        ann_file='annotations/instances_train2014.json',
        data_prefix=dict(
            img_path='train2014', seg_map_path='pseudo_labels/train2014'),
        require_seg_maps=True,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='WSSSCOCODataset',
        data_root=data_root,
        ann_file='annotations/instances_val2014.json',
        data_prefix=dict(
            img_path='val2014', seg_map_path='SegmentationClass/val2014'),
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
