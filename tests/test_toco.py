"""ToCo against literal re-typings of the official code (rulixiang/ToCo:
``model/model_seg_neg.py``, ``model/backbone/vit.py``, ``model/losses.py``,
``utils/camutils.py``, ``utils/optimizer.py``) on small tensors and tiny
random networks, and its training and testing through mmengine."""
import math
import os.path as osp
import random

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS
from mmengine.structures import InstanceData  # noqa: F401
from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample
from test_par import OfficialPAR

from conftest import REPO_ROOT, TINY_CLASSES, no_worker_options
from mmwsss.models.losses import (DenseEnergyLoss, balanced_seg_loss,
                                  class_token_contrast_loss,
                                  patch_token_contrast_loss)
from mmwsss.models.utils import PAR
from mmwsss.models.utils.toco_checkpoint import convert_toco
from mmwsss.models.utils.token_contrast import (affinity_from_labels,
                                                box_mask, cams_to_labels,
                                                crop_uncertain_regions,
                                                refine_labels_with_background,
                                                region_mask)
from mmwsss.utils.errors import InputFileNotFoundError

DEMO_TOCO = osp.join(REPO_ROOT, 'configs', 'demo', 'toco_vit-t_demo.py')


# ---------------------------------------------------------------------------
# Literal re-typings of the official code.
def official_cam_to_label(cam, cls_label, img_box=None, bkg_thre=None,
                          high_thre=None, low_thre=None, ignore_mid=False,
                          ignore_index=None):
    b, c, h, w = cam.shape
    cls_label_rep = cls_label.unsqueeze(-1).unsqueeze(-1).repeat(
        [1, 1, h, w])
    valid_cam = cls_label_rep * cam
    cam_value, _pseudo_label = valid_cam.max(dim=1, keepdim=False)
    _pseudo_label += 1
    _pseudo_label[cam_value <= bkg_thre] = 0
    if img_box is None:
        return _pseudo_label
    if ignore_mid:
        _pseudo_label[cam_value <= high_thre] = ignore_index
        _pseudo_label[cam_value <= low_thre] = 0
    pseudo_label = torch.ones_like(_pseudo_label) * ignore_index
    for idx, coord in enumerate(img_box):
        pseudo_label[idx, coord[0]:coord[1], coord[2]:coord[3]] = \
            _pseudo_label[idx, coord[0]:coord[1], coord[2]:coord[3]]
    return valid_cam, pseudo_label


def official_cam_to_roi_mask2(cam, cls_label, hig_thre=None, low_thre=None):
    b, c, h, w = cam.shape
    cls_label_rep = cls_label.unsqueeze(-1).unsqueeze(-1).repeat(
        [1, 1, h, w])
    valid_cam = cls_label_rep * cam
    cam_value, _ = valid_cam.max(dim=1, keepdim=False)
    roi_mask = torch.ones_like(cam_value, dtype=torch.int16)
    roi_mask[cam_value <= low_thre] = 0
    roi_mask[cam_value >= hig_thre] = 2
    return roi_mask


def official_crop_from_roi_neg(images, roi_mask=None, crop_num=8,
                               crop_size=96):
    b, c, h, w = images.shape
    temp_crops = torch.zeros(size=(b, crop_num, c, crop_size, crop_size))
    flags = torch.ones(size=(b, crop_num + 2))
    margin = crop_size // 2
    for i1 in range(b):
        roi_index = (roi_mask[i1, margin:(h - margin),
                              margin:(w - margin)] <= 1).nonzero()
        if roi_index.shape[0] < crop_num:
            roi_index = (roi_mask[i1, margin:(h - margin),
                                  margin:(w - margin)] >= 0).nonzero()
        rand_index = torch.randperm(roi_index.shape[0])
        crop_index = roi_index[rand_index[:crop_num], :]
        for i2 in range(crop_num):
            h0, w0 = crop_index[i2, 0], crop_index[i2, 1]
            temp_crops[i1, i2, ...] = images[i1, :, h0:(h0 + crop_size),
                                             w0:(w0 + crop_size)]
            temp_mask = roi_mask[i1, h0:(h0 + crop_size), w0:(w0 + crop_size)]
            if temp_mask.sum() / (crop_size * crop_size) <= 0.2:
                flags[i1, i2 + 2] = 0
    _crops = torch.chunk(temp_crops, chunks=crop_num, dim=1)
    crops = [c[:, 0] for c in _crops]
    return crops, flags


def official_refine_cams_with_bkg_v2(ref_mod=None, images=None, cams=None,
                                     cls_labels=None, high_thre=None,
                                     low_thre=None, ignore_index=False,
                                     img_box=None, down_scale=2):
    b, _, h, w = images.shape
    _images = F.interpolate(images, size=[h // down_scale, w // down_scale],
                            mode='bilinear', align_corners=False)
    bkg_h = torch.ones(size=(b, 1, h, w)) * high_thre
    bkg_l = torch.ones(size=(b, 1, h, w)) * low_thre
    bkg_cls = torch.ones(size=(b, 1))
    cls_labels = torch.cat((bkg_cls, cls_labels), dim=1)
    refined_label = torch.ones(size=(b, h, w)) * ignore_index
    refined_label_h = refined_label.clone()
    refined_label_l = refined_label.clone()
    cams_with_bkg_h = torch.cat((bkg_h, cams), dim=1)
    _cams_with_bkg_h = F.interpolate(
        cams_with_bkg_h, size=[h // down_scale, w // down_scale],
        mode='bilinear', align_corners=False)
    cams_with_bkg_l = torch.cat((bkg_l, cams), dim=1)
    _cams_with_bkg_l = F.interpolate(
        cams_with_bkg_l, size=[h // down_scale, w // down_scale],
        mode='bilinear', align_corners=False)
    for idx, coord in enumerate(img_box):
        valid_key = torch.nonzero(cls_labels[idx, ...])[:, 0]
        valid_cams_h = _cams_with_bkg_h[idx, valid_key,
                                        ...].unsqueeze(0).softmax(dim=1)
        valid_cams_l = _cams_with_bkg_l[idx, valid_key,
                                        ...].unsqueeze(0).softmax(dim=1)
        _refined_label_h = official_refine_cams(
            ref_mod=ref_mod, images=_images[[idx], ...], cams=valid_cams_h,
            valid_key=valid_key, orig_size=(h, w))
        _refined_label_l = official_refine_cams(
            ref_mod=ref_mod, images=_images[[idx], ...], cams=valid_cams_l,
            valid_key=valid_key, orig_size=(h, w))
        refined_label_h[idx, coord[0]:coord[1], coord[2]:coord[3]] = \
            _refined_label_h[0, coord[0]:coord[1], coord[2]:coord[3]]
        refined_label_l[idx, coord[0]:coord[1], coord[2]:coord[3]] = \
            _refined_label_l[0, coord[0]:coord[1], coord[2]:coord[3]]
    refined_label = refined_label_h.clone()
    refined_label[refined_label_h == 0] = ignore_index
    refined_label[(refined_label_h + refined_label_l) == 0] = 0
    return refined_label


def official_refine_cams(ref_mod, images, cams, valid_key, orig_size):
    refined_cams = ref_mod(images, cams)
    refined_cams = F.interpolate(refined_cams, size=orig_size,
                                 mode='bilinear', align_corners=False)
    refined_label = refined_cams.argmax(dim=1)
    refined_label = valid_key[refined_label]
    return refined_label


def official_label_to_aff_mask(cam_label, ignore_index=255):
    b, h, w = cam_label.shape
    _cam_label = cam_label.reshape(b, 1, -1)
    _cam_label_rep = _cam_label.repeat([1, _cam_label.shape[-1], 1])
    _cam_label_rep_t = _cam_label_rep.permute(0, 2, 1)
    aff_label = (_cam_label_rep == _cam_label_rep_t).type(torch.long)
    for i in range(b):
        aff_label[i, :, _cam_label_rep[i, 0, :] == ignore_index] = \
            ignore_index
        aff_label[i, _cam_label_rep[i, 0, :] == ignore_index, :] = \
            ignore_index
    aff_label[:, range(h * w), range(h * w)] = ignore_index
    return aff_label


def official_get_masked_ptc_loss(inputs, mask):
    b, c, h, w = inputs.shape
    inputs = inputs.reshape(b, c, h * w)

    def cos_sim(x):
        x = F.normalize(x, p=2, dim=1, eps=1e-8)
        cos_sim = torch.matmul(x.transpose(1, 2), x)
        return torch.abs(cos_sim)

    inputs_cos = cos_sim(inputs)
    pos_mask = mask == 1
    neg_mask = mask == 0
    loss = 0.5 * (1 - torch.sum(pos_mask * inputs_cos) /
                  (pos_mask.sum() + 1)) + 0.5 * torch.sum(
                      neg_mask * inputs_cos) / (neg_mask.sum() + 1)
    return loss


def official_get_seg_loss(pred, label, ignore_index=255):
    bg_label = label.clone()
    bg_label[label != 0] = ignore_index
    bg_loss = F.cross_entropy(pred, bg_label.type(torch.long),
                              ignore_index=ignore_index)
    fg_label = label.clone()
    fg_label[label == 0] = ignore_index
    fg_loss = F.cross_entropy(pred, fg_label.type(torch.long),
                              ignore_index=ignore_index)
    return (bg_loss + fg_loss) * 0.5


class OfficialCTCLossNeg(nn.Module):

    def __init__(self, ncrops=10, temp=1.0):
        super().__init__()
        self.temp = temp
        self.ncrops = ncrops

    def forward(self, student_output, teacher_output, flags):
        b = flags.shape[0]
        student_out = student_output.reshape(self.ncrops, b,
                                             -1).permute(1, 0, 2)
        teacher_out = teacher_output.reshape(2, b, -1).permute(1, 0, 2)
        logits = torch.matmul(teacher_out, student_out.permute(0, 2, 1))
        logits = torch.exp(logits / self.temp)
        total_loss = 0
        for i in range(b):
            neg_logits = logits[i, :, flags[i] == 0]
            pos_inds = torch.nonzero(flags[i])[:, 0]
            loss = 0
            for j in pos_inds:
                pos_logit = logits[i, :, j]
                loss += -torch.log((pos_logit) /
                                   (pos_logit + neg_logits.sum(dim=1) + 1e-4))
            else:
                loss += -torch.log((1) / (1 + neg_logits.sum(dim=1) + 1e-4))
            total_loss += loss.sum() / 2 / (pos_inds.shape[0] + 1e-4)
        total_loss = total_loss / b
        return total_loss


def literal_bilateral_filter(image, values, sigma_rgb, sigma_xy):
    """rloss's ``bilateralfilter`` as the exact Gaussian sum it
    approximates, pixel pair by pixel pair (features ``x / sxy, y / sxy,
    r / srgb, g / srgb, b / srgb``)."""
    c, h, w = image.shape
    k = values.shape[0]
    out = np.zeros_like(values)
    feats = []
    for j in range(h):
        for i in range(w):
            feats.append([i / sigma_xy, j / sigma_xy] +
                         [image[ch, j, i] / sigma_rgb for ch in range(3)])
    feats = np.asarray(feats, dtype=np.float64)
    flat = values.reshape(k, -1)
    for p in range(h * w):
        weights = np.exp(-0.5 * ((feats - feats[p])**2).sum(axis=1))
        out.reshape(k, -1)[:, p] = flat @ weights
    return out


class OfficialDenseEnergyLossFunction(torch.autograd.Function):
    """``DenseEnergyLossFunction`` with the literal filter above in place
    of the C++ lattice (and without ``.cuda()``)."""

    @staticmethod
    def forward(ctx, images, segmentations, sigma_rgb, sigma_xy, ROIs,
                unlabel_region):
        ctx.save_for_backward(segmentations)
        ctx.N, ctx.K, ctx.H, ctx.W = segmentations.shape
        Gate = ROIs.clone().to(ROIs.device)
        ROIs = ROIs.unsqueeze_(1).repeat(1, ctx.K, 1, 1)
        seg_max = torch.max(segmentations, dim=1)[0]
        Gate = Gate - seg_max
        Gate[unlabel_region] = 1
        Gate[Gate < 0] = 0
        Gate = Gate.unsqueeze_(1).repeat(1, ctx.K, 1, 1)
        segmentations = torch.mul(segmentations, ROIs)
        ctx.ROIs = ROIs
        densecrf_loss = 0.0
        AS = np.stack([
            literal_bilateral_filter(images[n].double().numpy(),
                                     segmentations[n].double().numpy(),
                                     sigma_rgb, sigma_xy)
            for n in range(ctx.N)
        ]).astype(np.float32).flatten()
        segmentations = segmentations.cpu().numpy().flatten()
        Gate = Gate.cpu().numpy().flatten()
        AS = np.multiply(AS, Gate)
        densecrf_loss -= np.dot(segmentations, AS)
        densecrf_loss /= ctx.N
        ctx.AS = np.reshape(AS, (ctx.N, ctx.K, ctx.H, ctx.W))
        return torch.tensor([densecrf_loss], requires_grad=True)

    @staticmethod
    def backward(ctx, grad_output):
        grad_segmentation = -2 * grad_output * torch.from_numpy(
            ctx.AS) / ctx.N
        grad_segmentation = torch.mul(grad_segmentation, ctx.ROIs)
        return None, grad_segmentation, None, None, None, None


class OfficialDenseEnergyLoss(nn.Module):

    def __init__(self, weight, sigma_rgb, sigma_xy, scale_factor):
        super().__init__()
        self.weight = weight
        self.sigma_rgb = sigma_rgb
        self.sigma_xy = sigma_xy
        self.scale_factor = scale_factor

    def forward(self, images, segmentations, ROIs, seg_label):
        scaled_images = F.interpolate(
            images, scale_factor=self.scale_factor,
            recompute_scale_factor=True)
        scaled_segs = F.interpolate(
            segmentations, scale_factor=self.scale_factor, mode='bilinear',
            align_corners=False, recompute_scale_factor=True)
        scaled_ROIs = F.interpolate(
            ROIs.unsqueeze(1), scale_factor=self.scale_factor,
            recompute_scale_factor=True).squeeze(1)
        scaled_seg_label = F.interpolate(
            seg_label, scale_factor=self.scale_factor, mode='nearest',
            recompute_scale_factor=True)
        unlabel_region = (scaled_seg_label.long() == 255).squeeze(1)
        return self.weight * OfficialDenseEnergyLossFunction.apply(
            scaled_images, scaled_segs, self.sigma_rgb,
            self.sigma_xy * self.scale_factor, scaled_ROIs, unlabel_region)


def official_get_energy_loss(img, logit, label, img_box, loss_layer,
                             mean=[123.675, 116.28, 103.53],
                             std=[58.395, 57.12, 57.375]):
    pred_prob = F.softmax(logit, dim=1)
    crop_mask = torch.zeros_like(pred_prob[:, 0, ...])
    for idx, coord in enumerate(img_box):
        crop_mask[idx, coord[0]:coord[1], coord[2]:coord[3]] = 1
    _img = torch.zeros_like(img)
    _img[:, 0, :, :] = img[:, 0, :, :] * std[0] + mean[0]
    _img[:, 1, :, :] = img[:, 1, :, :] * std[1] + mean[1]
    _img[:, 2, :, :] = img[:, 2, :, :] * std[2] + mean[2]
    return loss_layer(_img, pred_prob, crop_mask,
                      label.type(torch.uint8).unsqueeze(1))


class OfficialPolyWarmupAdamW(torch.optim.AdamW):

    def __init__(self, params, lr, weight_decay, betas, warmup_iter=None,
                 max_iter=None, warmup_ratio=None, power=None, **kwargs):
        super().__init__(params, lr=lr, betas=betas,
                         weight_decay=weight_decay, eps=1e-8)
        self.global_step = 0
        self.warmup_iter = warmup_iter
        self.warmup_ratio = warmup_ratio
        self.max_iter = max_iter
        self.power = power
        self.__init_lr = [group['lr'] for group in self.param_groups]

    def step(self, closure=None):
        if self.global_step < self.warmup_iter:
            lr_mult = 1 - (1 - self.global_step / self.warmup_iter) * (
                1 - self.warmup_ratio)
            for i in range(len(self.param_groups)):
                self.param_groups[i]['lr'] = self.__init_lr[i] * lr_mult
        elif self.global_step < self.max_iter:
            lr_mult = (1 - self.global_step / self.max_iter)**self.power
            for i in range(len(self.param_groups)):
                self.param_groups[i]['lr'] = self.__init_lr[i] * lr_mult
        super().step(closure)
        self.global_step += 1


# The network: timm's ViT as ToCo's model/backbone/vit.py keeps it.
class OfficialMlp(nn.Module):

    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class OfficialAttention(nn.Module):

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads)**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads,
                                  C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x), attn


class OfficialBlock(nn.Module):

    def __init__(self, dim, num_heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = OfficialAttention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = OfficialMlp(dim, dim * 4)

    def forward(self, x):
        o, weights = self.attn(self.norm1(x))
        x = x + o
        x = x + self.mlp(self.norm2(x))
        return x, weights


class OfficialPatchEmbed(nn.Module):

    def __init__(self, patch_size, embed_dim):
        super().__init__()
        self.patch_size = (patch_size, patch_size)
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=patch_size,
                              stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class OfficialViT(nn.Module):

    def __init__(self, img_size, patch_size, embed_dim, depth, num_heads,
                 aux_layer):
        super().__init__()
        self.embed_dim = embed_dim
        self.patch_embed = OfficialPatchEmbed(patch_size, embed_dim)
        self._size = img_size // patch_size
        self.patch_size = patch_size
        self.aux_layer = aux_layer
        self.cls_token = nn.Parameter(torch.randn(1, 1, embed_dim) * .02)
        self.pos_embed = nn.Parameter(
            torch.randn(1, self._size**2 + 1, embed_dim) * .02)
        self.pos_embed.requires_grad = False
        self.blocks = nn.ModuleList(
            [OfficialBlock(embed_dim, num_heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                nn.init.normal_(m.weight, 1.0, 0.1)
                nn.init.normal_(m.bias, 0.0, 0.1)

    def prepare_tokens(self, x):
        B, nc, h, w = x.shape
        h, w = h // self.patch_embed.patch_size[0], \
            w // self.patch_embed.patch_size[1]
        x = self.patch_embed(x)
        patch_pos_embed = self.pos_embed[:, 1:, :].reshape(
            1, self._size, self._size, -1).permute(0, 3, 1, 2)
        patch_pos_embed = F.interpolate(patch_pos_embed, size=(h, w),
                                        mode='bicubic', align_corners=False)
        patch_pos_embed = patch_pos_embed.reshape(1, -1,
                                                  h * w).permute(0, 2, 1)
        pos_embed = torch.cat((self.pos_embed[:, :1, :], patch_pos_embed),
                              dim=1)
        cls_tokens = self.cls_token.expand(B, -1, -1)
        x = torch.cat((cls_tokens, x), dim=1)
        return x + pos_embed

    def forward_features(self, x):
        x = self.prepare_tokens(x)
        embeds = []
        for blk in self.blocks:
            x, weights = blk(x)
            embeds.append(x)
        x = self.norm(x)
        embeds[-1] = x
        return x[:, 0], x[:, 1:], embeds[self.aux_layer][:, 1:]


class OfficialCTCHead(nn.Module):

    def __init__(self, in_dim, out_dim=4096, norm_last_layer=True,
                 nlayers=3, hidden_dim=2048, bottleneck_dim=256):
        super().__init__()
        layers = [nn.Linear(in_dim, hidden_dim), nn.GELU()]
        for _ in range(nlayers - 2):
            layers.append(nn.Linear(hidden_dim, hidden_dim))
            layers.append(nn.GELU())
        layers.append(nn.Linear(hidden_dim, bottleneck_dim))
        self.mlp = nn.Sequential(*layers)
        self.last_layer = nn.utils.weight_norm(
            nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        if norm_last_layer:
            self.last_layer.weight_g.requires_grad = False

    def forward(self, x):
        x = self.mlp(x)
        x = nn.functional.normalize(x, dim=-1, p=2)
        return self.last_layer(x)


class OfficialLargeFOV(nn.Module):

    def __init__(self, in_planes, out_planes, dilation=5, embed_dim=512):
        super().__init__()
        self.conv6 = nn.Conv2d(in_planes, embed_dim, 3, padding=dilation,
                               dilation=dilation, bias=False)
        self.relu6 = nn.ReLU(inplace=True)
        self.conv7 = nn.Conv2d(embed_dim, embed_dim, 3, padding=dilation,
                               dilation=dilation, bias=False)
        self.relu7 = nn.ReLU(inplace=True)
        self.conv8 = nn.Conv2d(embed_dim, out_planes, 1, bias=False)

    def forward(self, x):
        return self.conv8(self.relu7(self.conv7(self.relu6(self.conv6(x)))))


class OfficialNetwork(nn.Module):

    def __init__(self, num_classes, init_momentum, aux_layer, dims):
        super().__init__()
        self.num_classes = num_classes
        self.init_momentum = init_momentum
        self.encoder = OfficialViT(
            img_size=dims['img_size'], patch_size=dims['patch'],
            embed_dim=dims['embed'], depth=dims['depth'],
            num_heads=dims['heads'], aux_layer=aux_layer)
        head = dict(out_dim=dims['proj_out'], hidden_dim=dims['proj_hidden'],
                    bottleneck_dim=dims['proj_bottleneck'])
        self.proj_head = OfficialCTCHead(dims['embed'], **head)
        self.proj_head_t = OfficialCTCHead(dims['embed'], **head)
        for param, param_t in zip(self.proj_head.parameters(),
                                  self.proj_head_t.parameters()):
            param_t.data.copy_(param.data)
            param_t.requires_grad = False
        self.pooling = F.adaptive_max_pool2d
        self.decoder = OfficialLargeFOV(dims['embed'], num_classes,
                                        embed_dim=dims['decoder'])
        self.classifier = nn.Conv2d(dims['embed'], num_classes - 1, 1,
                                    bias=False)
        self.aux_classifier = nn.Conv2d(dims['embed'], num_classes - 1, 1,
                                        bias=False)

    @torch.no_grad()
    def _EMA_update_encoder_teacher(self, n_iter=None):
        momentum = self.init_momentum
        for param, param_t in zip(self.proj_head.parameters(),
                                  self.proj_head_t.parameters()):
            param_t.data = momentum * param_t.data + (1. - momentum) * \
                param.data

    def to_2D(self, x, h, w):
        n, hw, c = x.shape
        return x.transpose(1, 2).reshape(n, c, h, w)

    def forward_proj(self, crops, n_iter=None):
        global_view = crops[:2]
        local_view = crops[2:]
        local_inputs = torch.cat(local_view, dim=0)
        self._EMA_update_encoder_teacher(n_iter)
        global_output_t = self.encoder.forward_features(
            torch.cat(global_view, dim=0))[0].detach()
        output_t = self.proj_head_t(global_output_t)
        global_output_s = self.encoder.forward_features(
            torch.cat(global_view, dim=0))[0]
        local_output_s = self.encoder.forward_features(local_inputs)[0]
        output_s = torch.cat((global_output_s, local_output_s), dim=0)
        output_s = self.proj_head(output_s)
        return output_t, output_s

    def forward(self, x, cam_only=False, crops=None, n_iter=None):
        cls_token, _x, x_aux = self.encoder.forward_features(x)
        if crops is not None:
            output_t, output_s = self.forward_proj(crops, n_iter)
        h, w = x.shape[-2] // self.encoder.patch_size, \
            x.shape[-1] // self.encoder.patch_size
        _x4 = self.to_2D(_x, h, w)
        _x_aux = self.to_2D(x_aux, h, w)
        seg = self.decoder(_x4)
        if cam_only:
            cam = F.conv2d(_x4, self.classifier.weight).detach()
            cam_aux = F.conv2d(_x_aux, self.aux_classifier.weight).detach()
            return cam_aux, cam
        cls_aux = self.pooling(_x_aux, (1, 1))
        cls_aux = self.aux_classifier(cls_aux)
        cls_x4 = self.pooling(_x4, (1, 1))
        cls_x4 = self.classifier(cls_x4)
        cls_x4 = cls_x4.view(-1, self.num_classes - 1)
        cls_aux = cls_aux.view(-1, self.num_classes - 1)
        if crops is None:
            return cls_x4, seg, _x4, cls_aux
        return cls_x4, seg, _x4, cls_aux, output_t, output_s


def official_multi_scale_cam2(model, inputs, scales):
    b, c, h, w = inputs.shape
    with torch.no_grad():
        inputs_cat = torch.cat([inputs, inputs.flip(-1)], dim=0)
        _cam_aux, _cam = model(inputs_cat, cam_only=True)
        _cam = F.interpolate(_cam, size=(h, w), mode='bilinear',
                             align_corners=False)
        _cam = torch.max(_cam[:b, ...], _cam[b:, ...].flip(-1))
        _cam_aux = F.interpolate(_cam_aux, size=(h, w), mode='bilinear',
                                 align_corners=False)
        _cam_aux = torch.max(_cam_aux[:b, ...], _cam_aux[b:, ...].flip(-1))
        cam_list = [F.relu(_cam)]
        cam_aux_list = [F.relu(_cam_aux)]
        for s in scales:
            if s != 1.0:
                _inputs = F.interpolate(inputs, size=(int(s * h), int(s * w)),
                                        mode='bilinear', align_corners=False)
                inputs_cat = torch.cat([_inputs, _inputs.flip(-1)], dim=0)
                _cam_aux, _cam = model(inputs_cat, cam_only=True)
                _cam = F.interpolate(_cam, size=(h, w), mode='bilinear',
                                     align_corners=False)
                _cam = torch.max(_cam[:b, ...], _cam[b:, ...].flip(-1))
                _cam_aux = F.interpolate(_cam_aux, size=(h, w),
                                         mode='bilinear', align_corners=False)
                _cam_aux = torch.max(_cam_aux[:b, ...],
                                     _cam_aux[b:, ...].flip(-1))
                cam_list.append(F.relu(_cam))
                cam_aux_list.append(F.relu(_cam_aux))
        cam = torch.sum(torch.stack(cam_list, dim=0), dim=0)
        cam = cam + F.adaptive_max_pool2d(-cam, (1, 1))
        cam /= F.adaptive_max_pool2d(cam, (1, 1)) + 1e-5
        cam_aux = torch.sum(torch.stack(cam_aux_list, dim=0), dim=0)
        cam_aux = cam_aux + F.adaptive_max_pool2d(-cam_aux, (1, 1))
        cam_aux /= F.adaptive_max_pool2d(cam_aux, (1, 1)) + 1e-5
    return cam, cam_aux


# ---------------------------------------------------------------------------
# A tiny ToCo of both codes with the same weights.
TINY = dict(img_size=32, patch=8, embed=32, depth=4, heads=4, proj_out=16,
            proj_hidden=24, proj_bottleneck=8, decoder=16)
TINY_NUM_CLASSES = 4  # background + 3


def tiny_toco_cfg(**train_cfg):
    return dict(
        type='ToCo',
        data_preprocessor=dict(
            type='SegDataPreProcessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True,
            size=(64, 64)),
        backbone=dict(
            type='AnyGridVisionTransformer', img_size=(32, 32),
            patch_size=8,
            patch_pad=0, patch_bias=True, embed_dims=32, num_layers=4, num_heads=4,
            mlp_ratio=4, out_indices=(1, 3), qkv_bias=True,
            with_cls_token=True, output_cls_token=True,
            norm_cfg=dict(type='LN', eps=1e-6), act_cfg=dict(type='GELU'),
            final_norm=True, interpolate_mode='bicubic'),
        decode_head=dict(type='LargeFOVHead', in_channels=32,
                         num_classes=TINY_NUM_CLASSES, channels=16),
        projection_head=dict(type='TokenProjectionHead', in_channels=32,
                             out_channels=16, hidden_channels=24,
                             bottleneck_channels=8),
        reg_loss=dict(type='DenseEnergyLoss', sigma_xy=20),
        train_cfg=dict(local_crop_size=16, num_local_crops=3, **train_cfg))


def tiny_pair(seed=0):
    torch.manual_seed(seed)
    official = OfficialNetwork(TINY_NUM_CLASSES, 0.9, -3, TINY).eval()
    ours = MODELS.build(tiny_toco_cfg())
    ours.init_weights()
    missing, unexpected = ours.load_state_dict(
        convert_toco(official.state_dict()), strict=False)
    # Only PAR's and the losses' buffers are ours alone.
    assert not unexpected
    assert all(key.startswith(('par.', 'reg_loss.')) for key in missing)
    return official, ours.eval()


# ---------------------------------------------------------------------------
def test_network_matches_official_through_the_converter():
    official, ours = tiny_pair()
    x = torch.randn(2, 3, 48, 64)
    with torch.no_grad():
        cls, seg, fmap, cls_aux = official(x)
        cam_aux, cam = official(x, cam_only=True)
        last, aux, cls_token = ours.extract_tokens(x)
        logits, logits_aux = ours.classify(last, aux)
        ours_cam, ours_cam_aux = ours.forward_cams_with_aux(x)
        ours_seg = ours._forward(x)
        teacher_in = official.encoder.forward_features(x)[0]
    torch.testing.assert_close(last, fmap, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(logits, cls, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(logits_aux, cls_aux, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_seg, seg, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_cam, cam, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_cam_aux, cam_aux, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(cls_token, teacher_in, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(
        ours.projection_head(cls_token), official.proj_head(teacher_in),
        atol=1e-5, rtol=1e-4)
    # A local crop's size differs from the training size: both resize the
    # position embeddings bicubically, also on a 2x8 grid of the 4x4
    # grid's 16 tokens (mmseg's ViT would not).
    wide = torch.randn(1, 3, 16, 64)
    with torch.no_grad():
        torch.testing.assert_close(
            ours.extract_tokens(wide)[0],
            official(wide)[2], atol=1e-5, rtol=1e-4)
    crop = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(
            ours.extract_tokens(crop)[2],
            official.encoder.forward_features(crop)[0], atol=1e-5,
            rtol=1e-4)


def test_online_cams_match_multi_scale_cam2():
    official, ours = tiny_pair(1)
    x = torch.randn(2, 3, 64, 64)
    cam, cam_aux = official_multi_scale_cam2(official, x, (1.0, 0.5, 1.5))
    ours_cam, ours_cam_aux = ours.online_cams(x)
    torch.testing.assert_close(ours_cam, cam, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(ours_cam_aux, cam_aux, atol=1e-5, rtol=1e-4)
    assert not ours_cam.requires_grad


def test_ptc_and_affinity_labels_match_official():
    torch.manual_seed(0)
    cams = torch.rand(2, 3, 6, 6)
    labels = torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    boxes = [[0, 6, 0, 6], [1, 5, 0, 4]]
    for box in (boxes, [[0, 6, 0, 6]] * 2):
        valid, label = official_cam_to_label(
            cams.clone(), labels, img_box=box, ignore_mid=True, bkg_thre=0.5,
            high_thre=0.6, low_thre=0.3, ignore_index=255)
        ours_valid, ours_label = cams_to_labels(
            cams, labels, 0.6, 0.3, box_mask(torch.tensor(box), (6, 6)))
        torch.testing.assert_close(ours_valid, valid)
        assert torch.equal(ours_label, label)
        aff = official_label_to_aff_mask(label)
        assert torch.equal(affinity_from_labels(ours_label), aff)
    tokens = torch.randn(2, 5, 6, 6, requires_grad=True)
    ours = patch_token_contrast_loss(tokens, aff)
    ours.backward()
    grad = tokens.grad.clone()
    tokens.grad = None
    official = official_get_masked_ptc_loss(tokens, aff)
    official.backward()
    torch.testing.assert_close(ours, official)
    torch.testing.assert_close(grad, tokens.grad)


def test_box_mask_on_the_token_grid_rounds_outwards():
    # A crop of 64 pixels on an 8x8 grid: rows 10..50 cover cells 1..6.
    mask = box_mask(torch.tensor([[10, 50, 0, 64]]), (8, 8), (64, 64))[0]
    assert mask[:, 0].nonzero().flatten().tolist() == [1, 2, 3, 4, 5, 6]
    assert mask[1].all()


def test_region_mask_and_local_crops_match_official():
    torch.manual_seed(0)
    cams = torch.rand(2, 3, 32, 32)
    labels = torch.tensor([[1., 1., 0.], [0., 0., 1.]])
    roi = official_cam_to_roi_mask2(cams, labels, hig_thre=0.7, low_thre=0.25)
    ours_roi = region_mask(cams, labels, 0.7, 0.25)
    assert torch.equal(ours_roi, roi)
    # One image confident almost everywhere: the fallback to all positions.
    roi[1] = 2
    roi[1, 16, 16] = 0
    images = torch.randn(2, 3, 32, 32)
    torch.manual_seed(5)
    crops, flags = official_crop_from_roi_neg(images, roi, 4, 12)
    torch.manual_seed(5)
    ours_crops, ours_flags = crop_uncertain_regions(images, roi, 4, 12)
    assert torch.equal(ours_flags, flags)
    for a, b in zip(ours_crops, crops):
        assert torch.equal(a, b)
    assert ours_flags[:, :2].eq(1).all()


def test_online_labels_match_refine_cams_with_bkg_v2():
    torch.manual_seed(0)
    par = PAR(num_iter=3, dilations=(1, 2))
    official_par = OfficialPAR(dilations=(1, 2), num_iter=3)
    images = torch.rand(2, 3, 24, 32)
    cams = torch.rand(2, 3, 24, 32)
    labels = torch.tensor([[1., 0., 1.], [0., 1., 0.]])
    boxes = [[2, 24, 0, 30], [0, 20, 4, 32]]
    valid = cams * labels[:, :, None, None]
    expected = official_refine_cams_with_bkg_v2(
        official_par, images, valid, labels, 0.6, 0.3, ignore_index=255,
        img_box=boxes)
    ours = refine_labels_with_background(
        par, images, valid, labels, 0.6, 0.3,
        box_mask(torch.tensor(boxes), (24, 32)))
    assert torch.equal(ours, expected.long())


def test_class_token_contrast_matches_ctc_loss_neg():
    torch.manual_seed(0)
    b, views = 3, 6
    student = (torch.randn(views * b, 8) * 0.5).requires_grad_()
    teacher = torch.randn(2 * b, 8) * 0.5
    flags = torch.ones(b, views)
    flags[0, 3] = flags[1, 2] = flags[1, 5] = 0
    ours = class_token_contrast_loss(student, teacher, flags, 0.5)
    ours.backward()
    grad = student.grad.clone()
    student.grad = None
    official = OfficialCTCLossNeg(ncrops=views, temp=0.5)(student, teacher,
                                                           flags)
    official.backward()
    torch.testing.assert_close(ours, official)
    torch.testing.assert_close(grad, student.grad)
    # Projections of large dot products: the official exp overflows to a
    # NaN loss; the log-space terms stay finite.
    big = student.detach() * 60
    assert OfficialCTCLossNeg(ncrops=views, temp=0.5)(
        big, teacher * 60, flags).isnan()
    assert class_token_contrast_loss(big, teacher * 60, flags,
                                     0.5).isfinite()


def test_balanced_seg_loss_matches_get_seg_loss():
    torch.manual_seed(0)
    logits = torch.randn(2, 4, 8, 8, requires_grad=True)
    labels = torch.randint(0, 4, (2, 8, 8))
    labels[0, :2] = 255
    torch.testing.assert_close(
        balanced_seg_loss(logits, labels), official_get_seg_loss(
            logits, labels))
    # All background: the official foreground term is a mean over nothing
    # (NaN, which would reach every weight); here it counts 0.
    background = torch.zeros_like(labels)
    assert official_get_seg_loss(logits, background).isnan()
    loss = balanced_seg_loss(logits, background)
    torch.testing.assert_close(loss,
                               0.5 * F.cross_entropy(logits, background))
    loss.backward()
    assert logits.grad.isfinite().all()


def test_dense_energy_loss_matches_a_literal_filter():
    torch.manual_seed(0)
    images = torch.randn(2, 3, 12, 16)
    logits = torch.randn(2, 3, 12, 16, requires_grad=True)
    labels = torch.randint(0, 3, (2, 12, 16))
    labels[:, :3] = 255
    boxes = [[0, 12, 0, 16], [2, 10, 4, 16]]
    official = official_get_energy_loss(
        images, logits, labels, boxes,
        OfficialDenseEnergyLoss(weight=1e-3, sigma_rgb=15, sigma_xy=10,
                                scale_factor=0.5))
    official.backward()
    grad = logits.grad.clone()
    logits.grad = None
    rois = box_mask(torch.tensor(boxes), (12, 16)).float()
    ours = DenseEnergyLoss(loss_weight=1e-3, sigma_rgb=15, sigma_xy=10,
                           scale_factor=0.5)(images, logits, rois, labels)
    ours.backward()
    torch.testing.assert_close(ours.reshape(1).float(), official.float(),
                               rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(logits.grad, grad, rtol=1e-3, atol=1e-8)


def test_gaussian_filter_blocks_equal_the_dense_sum():
    """Symmetric blocks of any size (50 pixels in blocks of 7 leave a
    partial one) give the dense kernel's filter of every image."""
    from mmwsss.models.losses.dense_energy_loss import gaussian_filter
    torch.manual_seed(0)
    feats, values = torch.randn(2, 5, 50), torch.rand(2, 3, 50)
    dense = torch.stack([
        v @ torch.exp(-0.5 * torch.cdist(f.t(), f.t())**2).t()
        for f, v in zip(feats, values)
    ])
    for chunk_size in (7, 25, 64):
        torch.testing.assert_close(
            gaussian_filter(feats, values, chunk_size=chunk_size), dense)


def test_poly_warmup_lr_matches_poly_warmup_adamw():
    param = nn.Parameter(torch.zeros(1))
    official = OfficialPolyWarmupAdamW(
        [dict(params=[param], lr=6e-5), dict(params=[], lr=6e-4)], lr=6e-5,
        weight_decay=0.01, betas=(0.9, 0.999), warmup_iter=15, max_iter=100,
        warmup_ratio=1e-6, power=0.9)
    ours_param = nn.Parameter(torch.zeros(1))
    wrapper = build_optim_wrapper(
        nn.ParameterList([ours_param]),
        dict(type='OptimWrapper',
             optimizer=dict(type='AdamW', lr=6e-5, eps=1e-8,
                            weight_decay=0.01)))
    wrapper.optimizer.add_param_group(dict(params=[], lr=6e-4))
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='PolyWarmupLR', warmup_iters=15, max_iters=100,
             warmup_ratio=1e-6, power=0.9),
        default_args=dict(optimizer=wrapper))
    for _ in range(100):
        param.grad = torch.ones(1)
        official.step()
        ours_lrs = [g['lr'] for g in wrapper.optimizer.param_groups]
        assert ours_lrs == pytest.approx(
            [g['lr'] for g in official.param_groups], rel=1e-12)
        wrapper.optimizer.step()
        scheduler.step()


def test_training_step_sends_gradients_where_toco_does():
    _, model = tiny_pair(2)
    model.train()
    samples = tiny_samples(2, 64)
    inputs = torch.randn(2, 3, 64, 64)
    hub = MessageHub.get_current_instance()
    # Before ToCo's 2000-iteration warm-up ends: no segmentation losses.
    hub.update_info('iter', 10)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_cls', 'loss_cls_aux', 'loss_ptc',
                           'loss_ctc', 'loss_seg'}
    assert losses['loss_seg'] == 0
    sum(losses.values()).backward()
    # Zero gradients, as the official weight-0 loss gives (AdamW counts
    # and decays them).
    assert all(p.grad is not None and not p.grad.any()
               for p in model.decode_head.parameters())
    model.zero_grad(set_to_none=True)
    teacher_before = [p.clone() for p in
                      model.projection_head_teacher.parameters()]
    student_before = [p.clone() for p in model.projection_head.parameters()]
    hub.update_info('iter', 2001)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_cls', 'loss_cls_aux', 'loss_ptc',
                           'loss_ctc', 'loss_seg', 'loss_reg'}
    sum(losses.values()).backward()
    hub.update_info('iter', 0)
    # The EMA teacher, ToCo's frozen position embeddings and the frozen
    # norms of the projection's last layer get nothing.
    assert all(p.grad is None for p in
               model.projection_head_teacher.parameters())
    assert model.backbone.pos_embed.grad is None
    assert model.projection_head.last_layer.weight_g.grad is None
    for module in (model.decode_head, model.classifier, model.aux_classifier,
                   model.projection_head.mlp, model.backbone.layers[0]):
        assert all(p.grad is not None and p.grad.abs().sum() > 0
                   for p in module.parameters())
    for t, t0, s0 in zip(model.projection_head_teacher.parameters(),
                         teacher_before, student_before):
        torch.testing.assert_close(t, 0.9 * t0 + 0.1 * s0)
    # Each loss alone: the segmentation losses reach the decoder and the
    # backbone, never the classifiers (the labels come from detached CAMs).
    model.zero_grad(set_to_none=True)
    hub.update_info('iter', 2001)
    losses = model.loss(inputs, samples)
    hub.update_info('iter', 0)
    (losses['loss_seg'] + losses['loss_reg']).backward()
    assert model.classifier.weight.grad is None
    assert model.aux_classifier.weight.grad is None
    assert model.decode_head.conv8.weight.grad.abs().sum() > 0


def tiny_samples(n, size, num_classes=TINY_NUM_CLASSES - 1):
    samples = []
    for i in range(n):
        sample = SegDataSample(metainfo=dict(img_box=(0, size, 4 * i, size),
                                             img_shape=(size, size)))
        labels = torch.zeros(num_classes)
        labels[i % num_classes] = 1
        sample.set_data(dict(
            gt_img_labels=labels,
            global_view=torch.randint(0, 256, (3, size, size),
                                      dtype=torch.uint8),
            local_view=torch.randint(0, 256, (3, size, size),
                                     dtype=torch.uint8)))
        samples.append(sample)
    return samples


def test_views_follow_toco_and_the_box_follows_the_flip():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    image = np.zeros((40, 60, 3), np.uint8)
    image[:, :30] = (0, 0, 255)
    results = dict(img=image.copy(), img_shape=(40, 60), img_labels=[1, 0],
                   img_path='x.jpg', ori_shape=(40, 60))
    results = TRANSFORMS.build(dict(type='TokenContrastGlobalView',
                                    size=32))(results)
    assert results['global_view'].shape == (32, 32, 3)
    results = TRANSFORMS.build(dict(type='IRNRandomCrop', crop_size=64,
                                    img_pad_val=0))(results)
    top, bottom, left, right = results['img_box']
    assert (bottom - top, right - left) == (40, 60)
    assert results['img'][top:bottom, left:right].any()
    flips = 0
    for seed in range(12):
        random.seed(seed)
        torch.manual_seed(seed)
        out = TRANSFORMS.build(dict(type='TokenContrastLocalView'))(
            dict(results, img=results['img'].copy()))
        t, b, l, r = out['img_box']
        flips += (l, r) != (left, right)
        # Outside the box the padding stays one colour through flip and
        # jitter (the blur, of radius up to 2, reaches a few pixels); inside
        # is the image.
        outside = np.ones((64, 64), bool)
        outside[max(t - 8, 0):b + 8, max(l - 8, 0):r + 8] = False
        assert outside.any()
        assert np.ptp(out['img'][outside].astype(int), axis=0).max() <= 2
        assert np.ptp(out['img'][t + 3:b - 3, l + 3:r - 3].reshape(-1, 3),
                      axis=0).max() > 10
        assert out['local_view'].shape == (64, 64, 3)
    assert 0 < flips < 12
    packed = TRANSFORMS.build(dict(
        type='PackWSSSInputs', meta_keys=('img_box', ),
        view_keys=('global_view', 'local_view')))(out)
    sample = packed['data_samples']
    assert sample.global_view.shape == (3, 32, 32)
    assert sample.local_view.dtype == torch.uint8
    assert sample.metainfo['img_box'] == out['img_box']


def test_missing_pretrained_checkpoint_is_named(tmp_path):
    cfg = tiny_toco_cfg()
    path = str(tmp_path / 'vit.pth')
    cfg['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint=path)
    model = MODELS.build(cfg)
    with pytest.raises(InputFileNotFoundError, match='toco2mmwsss'):
        model.init_weights()


def test_official_checkpoint_converts_and_loads_whole(tmp_path):
    from tools.model_converters.toco2mmwsss import main as convert
    torch.manual_seed(0)
    official = OfficialNetwork(TINY_NUM_CLASSES, 0.9, -3, TINY)
    src = str(tmp_path / 'model_iter_20000.pth')
    torch.save({'module.' + k: v for k, v in official.state_dict().items()},
               src)
    dst = str(tmp_path / 'toco.pth')
    convert([src, dst])
    state = torch.load(dst, weights_only=True)['state_dict']
    model = MODELS.build(tiny_toco_cfg())
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected
    assert all(key.startswith(('par.', 'reg_loss.')) for key in missing)
    # The backbone alone, as for init_cfg.
    torch.save(official.encoder.state_dict(), src)
    convert([src, dst, '--backbone'])
    backbone = torch.load(dst, weights_only=True)['state_dict']
    assert set(backbone) == set(model.backbone.state_dict())


def tiny_toco_options(tiny_data, work_dir, max_iters):
    options = {
        'data_root': tiny_data,
        'work_dir': work_dir,
        'train_dataloader.dataset.data_root': tiny_data,
        'val_dataloader.dataset.data_root': tiny_data,
        'test_dataloader.dataset.data_root': tiny_data,
        'train_dataloader.batch_size': 4,
        'model.decode_head.num_classes': TINY_CLASSES + 1,
        'model.backbone.embed_dims': 32,
        'model.backbone.num_heads': 2,
        'model.decode_head.in_channels': 32,
        'model.decode_head.channels': 16,
        'model.projection_head.in_channels': 32,
        'model.train_cfg.loss_start': dict(seg=max_iters // 2,
                                           reg=max_iters // 2),
        'model.train_cfg.cam_scales': (1.0, 0.5),
        'model.test_cfg.scales': (1.0, ),
        'model.test_cfg.cam_scales': (1.0, ),
        'param_scheduler.0.warmup_iters': 2,
        'param_scheduler.0.max_iters': max_iters,
        'train_cfg.max_iters': max_iters,
        # Tested once, after training.
        'train_cfg.val_interval': max_iters + 1,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 1,
    }
    options.update(no_worker_options())
    return options


def test_toco_trains_tests_and_writes_cams(tiny_data, tmp_path):
    """The demo config, shrunk, through mmengine: training lowers the
    classification loss, tools/test.py's path scores the segmentation with
    IoUMetric, and make_cams writes CAM files."""
    from mmengine.runner import Runner

    from mmwsss.apis import load_config, make_cams
    work_dir = str(tmp_path / 'toco')
    max_iters = 16
    cfg = load_config(DEMO_TOCO,
                      tiny_toco_options(tiny_data, work_dir, max_iters))
    runner = Runner.from_cfg(cfg)
    runner.train()
    scalars = runner.message_hub.log_scalars
    history = scalars['train/loss_cls'].data[0]
    assert len(history) == max_iters
    assert np.mean(history[-4:]) < np.mean(history[:4])
    assert 'train/loss_seg' in scalars and 'train/loss_reg' in scalars
    metrics = runner.test()
    assert 0 < metrics['mIoU'] <= 100
    # The classifier's mAP beside the segmentation's mIoU.
    assert 0 < metrics['multi-label/mAP'] <= 100
    checkpoint = osp.join(work_dir, f'iter_{max_iters}.pth')
    cam_dir = str(tmp_path / 'cams')
    written = make_cams(cfg, checkpoint, cam_dir, split='val',
                        batch_size=2, num_workers=0, progress=False)
    assert written == 8
    cam = np.load(osp.join(cam_dir, sorted(
        f for f in __import__('os').listdir(cam_dir)
        if f.endswith('.npy'))[0]), allow_pickle=True).item()
    assert cam['high_res'].max() <= 1 + 1e-6
    assert math.isfinite(float(cam['high_res'].sum()))


def test_demo_config_loads():
    cfg = Config.fromfile(DEMO_TOCO)
    assert cfg.model.type == 'ToCo'
    assert cfg.train_dataloader.dataset.pipeline[-1]['view_keys']


def test_pipeline_trains_toco_with_the_data_class_count(tiny_data):
    """In a pipeline ToCo counts the data root's classes on its
    segmentation head (background included), not on a CAM head."""
    from mmwsss.pipeline import PipelineRunner, build_pipeline_config
    cfg = build_pipeline_config(method='toco', preset='demo')
    runner = PipelineRunner(cfg, tiny_data, '/nonexistent')
    stage = next(s for s in runner.stages if s.key == 'toco/train')
    built = stage.build_config(runner.ctx, up={})
    assert built.model.decode_head.num_classes == TINY_CLASSES + 1
    assert 'cam_head' not in built.model
    assert MODELS.build(built.model).num_classes == TINY_CLASSES


def test_views_are_normalised_like_the_inputs():
    """A view equal to the loaded (BGR) image becomes exactly the
    preprocessed input: same channel order, mean and std."""
    model = MODELS.build(tiny_toco_cfg())
    image = torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)
    sample = SegDataSample()
    sample.set_data(dict(global_view=image.clone()))
    data = model.data_preprocessor(
        dict(inputs=[image], data_samples=[sample]), training=True)
    views = model.normalized_views([sample], 'global_view', 'cpu')
    torch.testing.assert_close(views, data['inputs'])
    # And the colours the regularised loss recovers are the image's RGB.
    colours = data['inputs'] * model.reg_loss.std + model.reg_loss.mean
    torch.testing.assert_close(colours[0], image.flip(0).float(),
                               atol=1e-4, rtol=0)
