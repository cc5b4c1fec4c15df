# ACoL on the demo data, from scratch: the demo CAM recipe with ACoL's head.
# The classifiers' 3x3 convolutions are 256 wide instead of the official
# 1024: at 1024 the two classifiers would cost ten times the narrow
# ResNet-18 on the CPU (the demo backbone's last stage is 256 wide, the
# official ratio is 1024 to VGG16's 512).
_base_ = './cam_r18_demo.py'
model = dict(
    cam_head=dict(type='ACoLHead', channels=256, erase_threshold=0.6))
