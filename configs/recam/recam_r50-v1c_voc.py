# ReCAM (recam_r50_voc.py) on mmseg's ResNetV1c-50: fine-tunes the
# ResNetV1c CAM stage of cam_r50-v1c_voc_recam.py.
_base_ = './recam_r50_voc.py'
load_from = 'work_dirs/cam_r50-v1c_voc_recam/epoch_5.pth'
model = dict(backbone=dict(type='ResNetV1c'))
