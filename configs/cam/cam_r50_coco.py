# CAM classifier on MS-COCO 2014 (ReCAM's COCO recipe: ResNet-50, crop 512,
# batch 16, lr 0.1, 5 epochs, 80 classes).
_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/coco14_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
model = dict(cam_head=dict(num_classes=80))
# As cam_r50_voc.py: IRN's PolyOptimizer, classifier at 10x.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'cam_head': dict(lr_mult=10.0)}))
