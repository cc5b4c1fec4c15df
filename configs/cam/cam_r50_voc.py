_base_ = [
    'mmseg::_base_/default_runtime.py', '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc12_wsss.py', '../_base_/schedules/cam_5ep.py'
]
custom_imports = dict(imports=['mmwsss'], allow_failed_imports=False)
log_processor = dict(by_epoch=True)
