"""PAR against a literal re-typing of AFA / ToCo's ``model/PAR.py`` and
ToCo's ``refine_cams_with_bkg_v2``."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.utils import PAR
from mmwsss.pseudo_labels.par_labels import par_label


def official_get_kernel():
    weight = torch.zeros(8, 1, 3, 3)
    for k, (r, c) in enumerate([(0, 0), (0, 1), (0, 2), (1, 0), (1, 2),
                                (2, 0), (2, 1), (2, 2)]):
        weight[k, 0, r, c] = 1
    return weight


class OfficialPAR(torch.nn.Module):

    def __init__(self, dilations, num_iter):
        super().__init__()
        self.dilations = dilations
        self.num_iter = num_iter
        self.register_buffer('kernel', official_get_kernel())
        self.pos = self.get_pos()
        self.dim = 2
        self.w1 = 0.3
        self.w2 = 0.01

    def get_dilated_neighbors(self, x):
        b, c, h, w = x.shape
        x_aff = []
        for d in self.dilations:
            _x_pad = F.pad(x, [d] * 4, mode='replicate', value=0)
            _x_pad = _x_pad.reshape(b * c, -1, _x_pad.shape[-2],
                                    _x_pad.shape[-1])
            _x = F.conv2d(_x_pad, self.kernel, dilation=d)
            _x = _x.view(b, c, -1, h, w)
            x_aff.append(_x)
        return torch.cat(x_aff, dim=2)

    def get_pos(self):
        pos_xy = []
        ker = torch.ones(1, 1, 8, 1, 1)
        ker[0, 0, 0, 0, 0] = np.sqrt(2)
        ker[0, 0, 2, 0, 0] = np.sqrt(2)
        ker[0, 0, 5, 0, 0] = np.sqrt(2)
        ker[0, 0, 7, 0, 0] = np.sqrt(2)
        for d in self.dilations:
            pos_xy.append(ker * d)
        return torch.cat(pos_xy, dim=2)

    def forward(self, imgs, masks):
        masks = F.interpolate(masks, size=imgs.size()[-2:], mode='bilinear',
                              align_corners=True)
        b, c, h, w = imgs.shape
        _imgs = self.get_dilated_neighbors(imgs)
        _pos = self.pos.to(_imgs.device)
        _imgs_rep = imgs.unsqueeze(self.dim).repeat(
            1, 1, _imgs.shape[self.dim], 1, 1)
        _pos_rep = _pos.repeat(b, 1, 1, h, w)
        _imgs_abs = torch.abs(_imgs - _imgs_rep)
        _imgs_std = torch.std(_imgs, dim=self.dim, keepdim=True)
        _pos_std = torch.std(_pos_rep, dim=self.dim, keepdim=True)
        aff = -(_imgs_abs / (_imgs_std + 1e-8) / self.w1)**2
        aff = aff.mean(dim=1, keepdim=True)
        pos_aff = -(_pos_rep / (_pos_std + 1e-8) / self.w1)**2
        aff = F.softmax(aff, dim=2) + self.w2 * F.softmax(pos_aff, dim=2)
        for _ in range(self.num_iter):
            _masks = self.get_dilated_neighbors(masks)
            masks = (_masks * aff).sum(2)
        return masks


def official_refine(ref_mod, images, cams, cls_labels, high_thre, low_thre,
                    ignore_index=255, down_scale=2):
    b, _, h, w = images.shape
    _images = F.interpolate(images, size=[h // down_scale, w // down_scale],
                            mode='bilinear', align_corners=False)
    bkg_h = torch.ones(size=(b, 1, h, w)) * high_thre
    bkg_l = torch.ones(size=(b, 1, h, w)) * low_thre
    cls_labels = torch.cat((torch.ones(size=(b, 1)), cls_labels), dim=1)
    refined_label_h = torch.ones(size=(b, h, w)) * ignore_index
    refined_label_l = refined_label_h.clone()
    _h = F.interpolate(torch.cat((bkg_h, cams), dim=1),
                       size=[h // down_scale, w // down_scale],
                       mode='bilinear', align_corners=False)
    _l = F.interpolate(torch.cat((bkg_l, cams), dim=1),
                       size=[h // down_scale, w // down_scale],
                       mode='bilinear', align_corners=False)
    for idx in range(b):
        valid_key = torch.nonzero(cls_labels[idx, ...])[:, 0]
        for scores, out in ((_h, refined_label_h), (_l, refined_label_l)):
            valid = scores[idx, valid_key, ...].unsqueeze(0).softmax(dim=1)
            refined = ref_mod(_images[[idx], ...], valid)
            refined = F.interpolate(refined, size=(h, w), mode='bilinear',
                                    align_corners=False)
            out[idx] = valid_key[refined.argmax(dim=1)][0].float()
    refined_label = refined_label_h.clone()
    refined_label[refined_label_h == 0] = ignore_index
    refined_label[(refined_label_h + refined_label_l) == 0] = 0
    return refined_label


@pytest.mark.parametrize('size', [(20, 28), (9, 13)])
def test_par_matches_the_official_module(size):
    torch.manual_seed(0)
    images = torch.rand(2, 3, *size)
    masks = torch.rand(2, 4, *size).softmax(1)
    ours = PAR((1, 2, 4, 8, 12, 24), 10)(images, masks)
    official = OfficialPAR([1, 2, 4, 8, 12, 24], 10)(images, masks)
    torch.testing.assert_close(ours, official, atol=1e-5, rtol=1e-5)


def test_par_labels_match_tocos_rule():
    rng = np.random.default_rng(1)
    image = (rng.random((24, 32, 3)) * 255).astype(np.uint8)
    cams = np.zeros((2, 24, 32), np.float32)
    cams[0, 2:14, 3:18] = 0.9
    cams[1, 10:22, 14:30] = 0.6
    cams = np.clip(cams + rng.random(cams.shape) * 0.3, 0, 1).astype(
        np.float32)
    keys = [3, 7]
    full = torch.zeros(1, 20, 24, 32)
    full[0, keys] = torch.from_numpy(cams)
    labels = torch.zeros(1, 20)
    labels[0, keys] = 1
    image_t = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 255
    expected = official_refine(
        OfficialPAR([1, 2, 4, 8, 12, 24], 10), image_t, full, labels, 0.7,
        0.25)[0].numpy().astype(np.uint8)
    np.testing.assert_array_equal(par_label(cams, keys, image), expected)
    assert {0, 255} <= set(np.unique(expected))


def test_pipeline_par_labels_at_the_seeds_background(tiny_data, tmp_path):
    """``refine='par'``'s stage on CAM files made by blurring the true
    objects: both of ToCo's passes at the seeds' swept background, labels
    of the CAM split above a quality floor."""
    from conftest import write_blurred_cams
    from mmwsss.pipeline import PipelineRunner
    from mmwsss.pipeline.configs import build_pipeline_config

    cam_dir = str(tmp_path / 'cams')
    write_blurred_cams(tiny_data, cam_dir)
    cfg = build_pipeline_config(method='cam', preset='demo', refine='par')
    cfg.stages['{seed}/cams'] = dict(type='CAMFolder', cam_dir=cam_dir)
    runner = PipelineRunner(cfg, tiny_data, str(tmp_path / 'run'),
                            num_workers=0, targets=['par_eval'])
    stage = next(s for s in runner.stages if s.key == 'par_labels')
    results = runner.run()
    seeds = results['cam/seeds']
    par = results['par_labels']['settings']['par']
    assert par['high_threshold'] == par['low_threshold'] == \
        seeds['best_threshold']
    assert results['par_eval']['miou'] > 85
    # Trained on (refine='par'): the CAM split.
    assert stage.label_split(runner.ctx) == 'train'
