# Multi-dilated convolution on the demo data, from scratch: the demo CAM
# recipe with the MDC head. The blocks are as wide as the demo backbone's
# last stage (256). At 128 px and output stride 16 the feature map has
# 8 x 8 cells, so the dilation-9 block only sees its centre tap (the other
# taps fall on the zero padding) and the dilation-6 block reaches the far
# side of the map; the rates are the paper's all the same.
_base_ = './cam_r18_demo.py'
model = dict(
    cam_head=dict(type='MDCHead', channels=256, dilations=(1, 3, 6, 9)))
