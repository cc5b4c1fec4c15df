"""Boundary inference of IRNBoundaryNet against IRN's and ReCAM's
``EdgeDisplacement``."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmseg.structures import SegDataSample

from mmwsss.utils.errors import InputValueError
from conftest import REPO_ROOT
from test_irn import tiny_irn as build_tiny_irn

IRN_VOC = osp.join(REPO_ROOT, 'configs', 'irn', 'irn_r50_voc.py')
IRN_RECAM = osp.join(REPO_ROOT, 'configs', 'irn', 'irn_r50_voc_recam.py')
CROP = 64

# --- The edge part of EdgeDisplacement.forward (net/resnet50_irn.py), -------
# re-typed from jiwoon-ahn/irn and zhaozhengChen/ReCAM. ``net`` stands for
# Net.forward's edge output; ``x`` is the dataset's pack of an image and its
# flip (VOC12ClassificationDatasetMSF: np.stack([s_img, np.flip(s_img, -1)])).


def irn_edge_displacement(net, x, crop_size=CROP, stride=4):
    feat_size = (x.size(2) - 1) // stride + 1, (x.size(3) - 1) // stride + 1

    x = F.pad(x, [0, crop_size - x.size(3), 0, crop_size - x.size(2)])
    edge_out = net(x)
    edge_out = edge_out[..., :feat_size[0], :feat_size[1]]

    edge_out = torch.sigmoid(edge_out[0] / 2 + edge_out[1].flip(-1) / 2)
    return edge_out


def recam_edge_displacement(net, x, crop_size=CROP, stride=4):
    feat_size = (x.size(2) - 1) // stride + 1, (x.size(3) - 1) // stride + 1

    # x = F.pad(x, [0, crop_size-x.size(3), 0, crop_size-x.size(2)])
    edge_out = net(x)
    edge_out = edge_out[..., :feat_size[0], :feat_size[1]]

    edge_out = torch.sigmoid(edge_out[0] / 2 + edge_out[1].flip(-1) / 2)
    return edge_out


def tiny_irn(**test_cfg):
    return build_tiny_irn(**test_cfg).eval()


def pack(image):
    """``[1, 3, H, W]`` to the official ``[2, 3, H, W]`` pack."""
    return torch.stack([image[0], image[0].flip(-1)])


@pytest.mark.parametrize('size', [(37, 50), (29, 64), (64, 41)])
def test_both_modes_match_their_official_code(size):
    torch.manual_seed(0)
    padded = tiny_irn()
    unpadded = tiny_irn(pad_to_crop=False)
    unpadded.load_state_dict(padded.state_dict())
    image = torch.randn((1, 3) + size)
    grid = ((size[0] - 1) // 4 + 1, (size[1] - 1) // 4 + 1)
    with torch.no_grad():
        irn = padded.predict_boundary(image)
        recam = unpadded.predict_boundary(image)
        expected_irn = irn_edge_displacement(padded._forward, pack(image))
        expected_recam = recam_edge_displacement(padded._forward,
                                                 pack(image))
    assert irn.shape == recam.shape == (1, ) + grid
    # The official map keeps the network's channel axis: [1, h, w].
    assert expected_irn.shape == expected_recam.shape == (1, ) + grid
    torch.testing.assert_close(irn[0], expected_irn[0])
    torch.testing.assert_close(recam[0], expected_recam[0])
    # GroupNorm sees the padding: the two maps differ, so each comparison
    # above can tell the modes apart.
    assert (expected_irn - expected_recam).abs().max() > 1e-3
    assert (irn - recam).abs().max() > 1e-3


def test_unpadded_mode_through_predict():
    torch.manual_seed(0)
    model = tiny_irn(pad_to_crop=False)
    image = torch.randn(1, 3, 37, 50)
    samples = [SegDataSample(metainfo=dict(img_shape=(37, 50)))]
    with torch.no_grad():
        out = model.predict(F.pad(image, [0, 14, 0, 27]), samples)[0]
        boundary = recam_edge_displacement(model._forward, pack(image))
    expected = F.interpolate(
        boundary[None], scale_factor=4, mode='bilinear',
        align_corners=False)[0, :, :37, :50]
    torch.testing.assert_close(out.seg_logits.data, expected)
    # Larger than crop_size is fine when nothing is padded.
    with torch.no_grad():
        large = model.predict_boundary(torch.randn(1, 3, 70, 45))
    assert large.shape == (1, 18, 12)


def test_configs_select_the_mode():
    irn = Config.fromfile(IRN_VOC).model.test_cfg
    assert irn.get('pad_to_crop', True) is True and irn.crop_size == 512
    recam = Config.fromfile(IRN_RECAM).model.test_cfg
    assert recam.pad_to_crop is False and recam.crop_size == 512
    model = tiny_irn(pad_to_crop=recam.pad_to_crop)
    assert model.test_cfg == dict(crop_size=CROP, pad_to_crop=False)
    assert tiny_irn().test_cfg['pad_to_crop'] is True


@pytest.mark.parametrize('test_cfg,key', [
    (dict(pad_to_crop='no'), 'test_cfg.pad_to_crop'),
    (dict(pad_to_crop=0), 'test_cfg.pad_to_crop'),
    (dict(pad_to_crop=None), 'test_cfg.pad_to_crop'),
    (dict(crop_size=0), 'test_cfg.crop_size'),
    (dict(crop_size=(64, )), 'test_cfg.crop_size'),
    (dict(crop_size=None), 'test_cfg.crop_size'),
])
def test_rejects_bad_settings(test_cfg, key):
    with pytest.raises(InputValueError, match=key):
        build_tiny_irn(**test_cfg)
