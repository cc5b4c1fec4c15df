"""WeCLIP against literal re-typings of the official code (zbf1991/WeCLIP:
``WeCLIP_model/model_attn_aff_voc.py``, ``segformer_head.py``,
``Decoder/TransDecoder.py``, ``clip/clip_tool.py``, ``clip/model.py``,
``utils/camutils.py``, ``utils/losses.py``, ``scripts/dist_clip_voc.py``,
``test_msc_flip_voc.py``) on a tiny CLIP (OpenAI's own ``clip`` package
with random weights, 12 blocks as ViT-B/16 so that the official layer
indices hold), and a real training run."""
import os.path as osp
from collections import OrderedDict

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from clip.model import CLIP
from mmengine.config import Config
from mmengine.logging import MessageHub
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmwsss  # noqa: F401
from mmwsss.apis import load_config
from mmwsss.models.heads.weclip_decoder import WeCLIPHead
from mmwsss.models.segmentors.weclip import OFFICIAL_CRF, WeCLIP
from mmwsss.models.utils import PAR, convert_openai_clip
from mmwsss.models.utils.cam_inference import normalize_maps
from mmwsss.models.utils.weclip_checkpoint import convert_weclip
from mmwsss.models.utils.weclip_labels import (affinity_labels,
                                               affinity_loss,
                                               cams_to_pseudo_label,
                                               online_affinity)
from mmwsss.utils.errors import (InputFileNotFoundError, InputKeyError,
                                 InputValueError)

from conftest import REPO_ROOT, TINY_CLASSES, no_worker_options, run_tool
from test_clip_es import BACKGROUND, NAMES
from test_clip_es import SMALL as CLIP_ES_SMALL
from test_clip_es import TEMPLATE, small_clip_parts
# WeCLIP's clip/clip_tool.py scale_cam_image is CLIP-ES's, line for line.
from test_clip_es import official_scale_cam_image
from test_par import OfficialPAR
# WeCLIP's utils/losses.py get_seg_loss is ToCo's, line for line.
from test_toco import official_get_seg_loss

# The tiny CLIP of the CLIP-ES tests, 12 blocks deep as ViT-B/16.
SMALL = dict(CLIP_ES_SMALL, vision_layers=12)
WIDTH = 32  # the decoder's (official 256)
VOC_CONFIG = osp.join(REPO_ROOT, 'configs/weclip/weclip_vit-b16_voc12.py')


def tiny_model_cfg(**train_cfg):
    return dict(
        type='WeCLIP',
        decode_head=dict(
            type='WeCLIPHead',
            in_channels=128,
            num_inputs=11,
            channels=WIDTH,
            num_layers=3,
            num_heads=8,
            num_classes=len(NAMES) + 1),
        train_cfg=train_cfg,
        test_cfg=dict(resize_long=96),
        **small_clip_parts(num_layers=12))


# --- the official decoder, re-typed ---------------------------------------
# segformer_head.py's MLP and SegFormerHead; TransDecoder.py's blocks with
# torch's nn.MultiheadAttention for clip/myAtt.py's copy of it (which only
# adds fp16 casts) and nn.LayerNorm for the fp16-safe LayerNorm.


class OfficialMLP(nn.Module):

    def __init__(self, input_dim=2048, embed_dim=768):
        super().__init__()
        self.proj = nn.Linear(input_dim, embed_dim)
        self.proj_2 = nn.Linear(embed_dim, embed_dim)

    def forward(self, x):
        x = x.flatten(2).transpose(1, 2)
        x = self.proj(x)
        x = F.relu(x)
        x = self.proj_2(x)
        return x


class OfficialSegFormerHead(nn.Module):

    def __init__(self, in_channels=128, embedding_dim=256, num_classes=20,
                 index=11, **kwargs):
        super(OfficialSegFormerHead, self).__init__()
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.indexes = index
        c1_in_channels, c2_in_channels, c3_in_channels, c4_in_channels = \
            self.in_channels
        linear_layers = [OfficialMLP(input_dim=c1_in_channels,
                                     embed_dim=embedding_dim)
                         for i in range(self.indexes)]
        self.linears_modulelist = nn.ModuleList(linear_layers)
        self.linear_fuse = nn.Conv2d(embedding_dim * self.indexes,
                                     embedding_dim, kernel_size=1)
        self.dropout = nn.Dropout2d(0.1)

    def forward(self, x_all):
        x_list = []
        for ind in range(x_all.shape[0]):
            x = x_all[ind, :, :, :, :]
            n, _, h, w = x.shape
            _x = self.linears_modulelist[ind](x.float()).permute(
                0, 2, 1).reshape(n, -1, x.shape[2], x.shape[3])
            x_list.append(_x)
        x_list = torch.cat(x_list, dim=1)
        x = self.linear_fuse(x_list)
        x = self.dropout(x)
        return x


class QuickGELU(nn.Module):

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class OfficialResidualAttentionBlock(nn.Module):

    def __init__(self, d_model, n_head, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = nn.LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d_model, d_model * 4)),
            ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(d_model * 4, d_model))
        ]))
        self.ln_2 = nn.LayerNorm(d_model)
        self.attn_mask = attn_mask

    def attention(self, x):
        return self.attn(x, x, x, need_weights=True, attn_mask=None)

    def forward(self, x):
        attn_output, attn_weight = self.attention(self.ln_1(x))
        x = x + attn_output
        x = x + self.mlp(self.ln_2(x))
        return x, attn_weight


class OfficialTransformer(nn.Module):

    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[
            OfficialResidualAttentionBlock(width, heads, attn_mask)
            for _ in range(layers)])

    def forward(self, x):
        attn_weights_list = []
        for i in range(self.layers):
            x, attn_weight = self.resblocks[i](x)
            attn_weights_list.append(attn_weight)
        return x, attn_weights_list


class OfficialDecoderTransformer(nn.Module):

    def __init__(self, width, layers, heads, output_dim):
        super().__init__()
        self.transformer = OfficialTransformer(width, layers, heads)
        self.linear_pred = nn.Conv2d(width, output_dim, kernel_size=1)

    def forward(self, x):
        b, c, h, w = x.shape
        x = x.reshape(b, c, h * w)
        x = x.permute(2, 0, 1)
        x, attn_weights_list = self.transformer(x)
        x = x.permute(1, 2, 0)
        x = x.reshape(b, c, h, w)
        logit = self.linear_pred(x)
        return logit, attn_weights_list


# --- the official CLIP side, re-typed (clip/model.py, clip_tool.py) -------


def official_upsample_pos_emb(emb, new_size):
    first = emb[:1, :]
    emb = emb[1:, :]
    N, D = emb.size(0), emb.size(1)
    size = int(np.sqrt(N))
    emb = emb.permute(1, 0)
    emb = emb.view(1, D, size, size).contiguous()
    emb = F.interpolate(emb, size=new_size, mode='bilinear')
    emb = emb.view(D, -1).contiguous()
    emb = emb.permute(1, 0)
    return torch.cat([first, emb], 0)


def official_block(block, x):
    """clip/model.py's ResidualAttentionBlock: the head-averaged attention
    too."""
    x_ln = block.ln_1(x)
    attn_output, attn_weight = block.attn(x_ln, x_ln, x_ln,
                                          need_weights=True)
    x = x + attn_output
    x = x + block.mlp(block.ln_2(x))
    return x, attn_weight


def official_encode_image(reference, image):
    """``CLIP.encode_image(image, H, W, require_all_fts=True)``: the outputs
    and attention maps of the first 11 blocks, LND."""
    visual = reference.visual
    H, W = image.shape[-2:]
    pos = official_upsample_pos_emb(visual.positional_embedding,
                                    (H // 16, W // 16))
    with torch.no_grad():
        x = visual.conv1(image)
        x = x.reshape(x.shape[0], x.shape[1], -1)
        x = x.permute(0, 2, 1)
        x = torch.cat([visual.class_embedding.to(x.dtype) + torch.zeros(
            x.shape[0], 1, x.shape[-1], dtype=x.dtype), x], dim=1)
        x = x + pos.to(x.dtype)
        x = visual.ln_pre(x)
        x = x.permute(1, 0, 2)
        attn_weights, x_all = [], []
        layers = visual.transformer.layers - 1
        for i in range(layers):
            x, attn_weight = official_block(visual.transformer.resblocks[i],
                                            x)
            x_all.append(x)
            attn_weights.append(attn_weight)
    return x_all, attn_weights


def official_decode(fuse, decoder, fts_all, b, h, w):
    """model_attn_aff_voc.py forward: fusion, decoder and attn_pred."""
    fts_all_stack = torch.stack(fts_all, dim=0)
    all_img_tokens = fts_all_stack[:, 1:, ...]
    img_tokens_channel = all_img_tokens.size(-1)
    all_img_tokens = all_img_tokens.permute(0, 2, 3, 1)
    all_img_tokens = all_img_tokens.reshape(-1, b, img_tokens_channel,
                                            h // 16, w // 16)
    fts = fuse(all_img_tokens)
    attn_fts = fts.clone()
    seg, seg_attn_weight_list = decoder(fts)
    f_b, f_c, f_h, f_w = attn_fts.shape
    attn_fts_flatten = attn_fts.reshape(f_b, f_c, f_h * f_w)
    attn_pred = attn_fts_flatten.transpose(2, 1).bmm(attn_fts_flatten)
    attn_pred = torch.sigmoid(attn_pred)
    return seg, attn_pred


def official_zeroshot(reference, names):
    rows = []
    with torch.no_grad():
        for name in names:
            e = reference.encode_text(clip_tokenize([TEMPLATE.format(name)]))
            e = e / e.norm(dim=-1, keepdim=True)
            e = e.mean(dim=0)
            rows.append(e / e.norm())
    return torch.stack(rows, dim=1).t()


def clip_tokenize(texts):
    import clip
    return clip.tokenize(texts)


def official_grad_cam(reference, image_features, text_features, h, w,
                      category):
    """pytorch_grad_cam's GradCAM (modified) on ``forward_last_layer``:
    the min-max normalised CAM ``[h/16, w/16]`` and the last attention."""
    visual = reference.visual
    last = visual.transformer.resblocks[visual.transformer.layers - 1]
    captured = {}

    def save(module, args, output):
        captured['act'] = output
        output.register_hook(lambda g: captured.update(grad=g))

    handle = last.ln_1.register_forward_hook(save)
    x = image_features.detach().requires_grad_()
    x, attn_weight = official_block(last, x)
    handle.remove()
    x = x.permute(1, 0, 2)
    x = visual.ln_post(x)
    x = torch.mean(x[:, 1:, :], dim=1)
    x = x @ visual.proj
    image_feat = x / x.norm(dim=1, keepdim=True)
    text = text_features / text_features.norm(dim=1, keepdim=True)
    logits = reference.logit_scale.exp() * image_feat @ text.t()
    logits = logits.softmax(dim=-1)
    logits[0][category].backward(retain_graph=True)

    def reshape_transform(t):
        t = t.permute(1, 0, 2)
        t = t[:, 1:, :].reshape(t.size(0), h // 16, w // 16, t.size(2))
        return t.transpose(2, 3).transpose(1, 2)

    act = reshape_transform(captured['act']).detach().numpy()
    grad = reshape_transform(captured['grad']).detach().numpy()
    weights = np.mean(grad, axis=(2, 3))
    cam = (weights[:, :, None, None] * act).sum(axis=1)
    cam = np.maximum(cam, 0).astype(np.float32)
    cam = official_scale_cam_image(cam)[:, None, :]
    cam = np.maximum(np.concatenate([cam], axis=1), 0)
    cam = official_scale_cam_image(np.mean(cam, axis=1))
    return cam, attn_weight.detach()


def official_scoremap2bbox(scoremap, threshold, multi_contour_eval=False):
    height, width = scoremap.shape
    scoremap_image = np.expand_dims((scoremap * 255).astype(np.uint8), 2)
    _, thr_gray_heatmap = cv2.threshold(
        src=scoremap_image,
        thresh=int(threshold * np.max(scoremap_image)),
        maxval=255,
        type=cv2.THRESH_BINARY)
    contours = cv2.findContours(
        image=thr_gray_heatmap,
        mode=cv2.RETR_TREE,
        method=cv2.CHAIN_APPROX_SIMPLE)[0]
    if len(contours) == 0:
        return np.asarray([[0, 0, 0, 0]]), 1
    if not multi_contour_eval:
        contours = [max(contours, key=cv2.contourArea)]
    estimated_boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        x0, y0, x1, y1 = x, y, x + w, y + h
        x1 = min(x1, width - 1)
        y1 = min(y1, height - 1)
        estimated_boxes.append([x0, y0, x1, y1])
    return np.asarray(estimated_boxes), len(contours)


def official_compute_trans_mat(attn_weight):
    aff_mat = attn_weight
    trans_mat = aff_mat / torch.sum(aff_mat, dim=0, keepdim=True)
    trans_mat = trans_mat / torch.sum(trans_mat, dim=1, keepdim=True)
    for _ in range(2):
        trans_mat = trans_mat / torch.sum(trans_mat, dim=0, keepdim=True)
        trans_mat = trans_mat / torch.sum(trans_mat, dim=1, keepdim=True)
    trans_mat = (trans_mat + trans_mat.transpose(1, 0)) / 2
    for _ in range(1):
        trans_mat = torch.matmul(trans_mat, trans_mat)
    return trans_mat


def official_trans_mat(attn_weight_list, attn_weight_last, seg_attn,
                       require_seg_trans, rfm_layers=6):
    """perform_single_voc_cam's ``idx == 0`` branch."""
    if require_seg_trans:
        attn_weight = torch.cat([attn_weight_list, attn_weight_last], dim=0)
        attn_weight = attn_weight[:, 1:, 1:][-rfm_layers:]
        attn_diff = seg_attn - attn_weight
        attn_diff = torch.sum(attn_diff.flatten(1), dim=1)
        diff_th = torch.mean(attn_diff)
        attn_mask = torch.zeros_like(attn_diff)
        attn_mask[attn_diff <= diff_th] = 1
        attn_mask = attn_mask.reshape(-1, 1, 1)
        attn_mask = attn_mask.expand_as(attn_weight)
        attn_weight = torch.sum(attn_mask * attn_weight, dim=0) / (
            torch.sum(attn_mask, dim=0) + 1e-5)
        attn_weight = attn_weight.detach()
        attn_weight = attn_weight * seg_attn.squeeze(0).detach()
    else:
        attn_weight = torch.cat([attn_weight_list, attn_weight_last], dim=0)
        attn_weight = attn_weight[:, 1:, 1:][-8:]
        attn_weight = torch.mean(attn_weight, dim=0)
        attn_weight = attn_weight.detach()
    return official_compute_trans_mat(attn_weight).float()


def official_refine_cam(_trans_mat, grayscale_cam, h, w, threshold=0.4):
    """perform_single_voc_cam's per-class refinement."""
    box, cnt = official_scoremap2bbox(scoremap=grayscale_cam,
                                      threshold=threshold,
                                      multi_contour_eval=True)
    aff_mask = torch.zeros((grayscale_cam.shape[0], grayscale_cam.shape[1]))
    for i_ in range(cnt):
        x0_, y0_, x1_, y1_ = box[i_]
        aff_mask[y0_:y1_, x0_:x1_] = 1
    aff_mask = aff_mask.view(1, grayscale_cam.shape[0] *
                             grayscale_cam.shape[1])
    trans_mat = _trans_mat * aff_mask
    cam_to_refine = torch.FloatTensor(grayscale_cam)
    cam_to_refine = cam_to_refine.view(-1, 1)
    return torch.matmul(trans_mat, cam_to_refine).reshape(h // 16, w // 16)


def official_cam_label(ref_mod, image, cam_refined_list, keys, w, h):
    """generate_cam_label, the background, PAR (_refine_cams) and the valid
    keys of model_attn_aff_voc.py's forward; also PAR's scores (those
    before the argmax) and its input ``[bg; cams]``."""
    refined_cam_to_save = []
    for cam_refined in cam_refined_list:
        cam_refined = cam_refined.cpu().numpy().astype(np.float32)
        cam_refined_highres = official_scale_cam_image([cam_refined],
                                                       (w, h))[0]
        refined_cam_to_save.append(torch.tensor(cam_refined_highres))
    cams = torch.stack(refined_cam_to_save, dim=0)
    bg_score = torch.pow(1 - torch.max(cams, dim=0, keepdims=True)[0], 1)
    cams = torch.cat([bg_score, cams], dim=0)
    valid_key = np.pad(np.asarray(keys) + 1, (1, 0), mode='constant')
    valid_key = torch.from_numpy(valid_key)
    with torch.no_grad():
        refined_cams = ref_mod(image.unsqueeze(0).float(),
                               cams.unsqueeze(0).float())
    refined_label = refined_cams.argmax(dim=1)
    refined_label = valid_key[refined_label]
    return refined_label.squeeze(0), refined_cams[0], cams


def official_pseudo_labels(reference, fuse, decoder, img, label_ids,
                           require_seg_trans, threshold=0.4, rfm_layers=6):
    """model_attn_aff_voc.py's forward (train mode) for a batch, with the
    image-level labels given instead of read from the masks; with
    ``threshold=0.7, rfm_layers=10`` model_attn_aff_coco.py's
    (perform_single_coco_cam: boxes at 0.7, the RFM of ``[-10:]``). Per
    image: the label, PAR's scores and PAR's input."""
    b, c, h, w = img.shape
    fts_all, attn_weight_list = official_encode_image(reference, img)
    seg, attn_pred = official_decode(fuse, decoder, fts_all, b, h, w)
    fts_all_stack = torch.stack(fts_all, dim=0)
    attn_weight_stack = torch.stack(attn_weight_list, dim=0).permute(
        1, 0, 2, 3)
    cam_fts_all = fts_all_stack[-1].unsqueeze(0).permute(2, 1, 0, 3)
    bg = official_zeroshot(reference, BACKGROUND)
    fg = official_zeroshot(reference, NAMES)
    par = OfficialPAR(num_iter=20, dilations=[1, 2, 4, 8, 12, 24])
    labels, scores, par_inputs = [], [], []
    for i in range(b):
        ids = list(label_ids[i])
        texts = torch.cat([fg[ids], bg], dim=0)
        cam_refined_list = []
        for idx in range(len(ids)):
            cam, attn_last = official_grad_cam(reference, cam_fts_all[i],
                                               texts, h, w, idx)
            cam = cam[0, :]
            if idx == 0:
                trans = official_trans_mat(
                    attn_weight_stack[i], attn_last,
                    attn_pred.unsqueeze(0)[:, i, :, :], require_seg_trans,
                    rfm_layers)
            cam_refined_list.append(
                official_refine_cam(trans, cam, h, w, threshold))
        label, score, par_input = official_cam_label(
            par, img[i], cam_refined_list, ids, w, h)
        labels.append(label)
        scores.append(score)
        par_inputs.append(par_input)
    return seg, attn_pred, labels, scores, par_inputs


# --- the official losses, re-typed (camutils.py, losses.py) ---------------


def official_get_mask_by_radius(h=20, w=20, radius=8):
    hw = h * w
    mask = np.zeros((hw, hw))
    for i in range(hw):
        _h = i // w
        _w = i % w
        _h0 = max(0, _h - radius)
        _h1 = min(h, _h + radius + 1)
        _w0 = max(0, _w - radius)
        _w1 = min(w, _w + radius + 1)
        for i1 in range(_h0, _h1):
            for i2 in range(_w0, _w1):
                _i2 = i1 * w + i2
                mask[i, _i2] = 1
                mask[_i2, i] = 1
    return mask


def official_cams_to_affinity_label(cam_label, mask=None, ignore_index=255):
    b, h, w = cam_label.shape
    cam_label_resized = F.interpolate(
        cam_label.unsqueeze(1).type(torch.float32), size=[h // 16, w // 16],
        mode="nearest")
    _cam_label = cam_label_resized.reshape(b, 1, -1)
    _cam_label_rep = _cam_label.repeat([1, _cam_label.shape[-1], 1])
    _cam_label_rep_t = _cam_label_rep.permute(0, 2, 1)
    aff_label = (_cam_label_rep == _cam_label_rep_t).type(torch.long)
    for i in range(b):
        if mask is not None:
            aff_label[i, mask == 0] = ignore_index
        aff_label[i, :, _cam_label_rep[i, 0, :] == ignore_index] = \
            ignore_index
        aff_label[i, _cam_label_rep[i, 0, :] == ignore_index, :] = \
            ignore_index
    return aff_label


def official_get_aff_loss(inputs, targets):
    pos_label = (targets == 1).type(torch.int16)
    pos_count = pos_label.sum() + 1
    neg_label = (targets == 0).type(torch.int16)
    neg_count = neg_label.sum() + 1
    pos_loss = torch.sum(pos_label * (1 - inputs)) / pos_count
    neg_loss = torch.sum(neg_label * (inputs)) / neg_count
    return 0.5 * pos_loss + 0.5 * neg_loss, pos_count, neg_count


# --- fixtures ---------------------------------------------------------------


def official_state_dict(reference, fuse, decoder):
    """``WeCLIP.state_dict()`` of the official model: ``encoder.*`` (CLIP),
    the decoder, PAR's kernel and the stored position embedding."""
    state = OrderedDict()
    for key, value in reference.state_dict().items():
        state['encoder.' + key] = value.half() if value.dim() > 1 else value
    state['encoder.visual.positional_embedding_new'] = torch.zeros(17, 128)
    for key, value in fuse.state_dict().items():
        state['decoder_fts_fuse.' + key] = value
    for key, value in decoder.state_dict().items():
        state['decoder.' + key] = value
    state['par.kernel'] = torch.zeros(8, 1, 3, 3)
    return state


@pytest.fixture(scope='module')
def models():
    """The tiny OpenAI CLIP, the official decoder (random weights, eval
    mode) and mmwsss's WeCLIP loaded from their converted state dicts."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    reference = CLIP(**SMALL).eval()
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn_like(param) * 0.02)
    fuse = OfficialSegFormerHead(in_channels=[128] * 4,
                                 embedding_dim=WIDTH,
                                 num_classes=len(NAMES) + 1, index=11).eval()
    decoder = OfficialDecoderTransformer(
        width=WIDTH, layers=3, heads=8, output_dim=len(NAMES) + 1).eval()
    model = MODELS.build(tiny_model_cfg()).eval()
    assert isinstance(model, WeCLIP)
    state = convert_weclip(official_state_dict(reference, fuse, decoder))
    # fp16 round trip of the official CLIP weights: the reference too.
    result = model.load_state_dict(state, strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    reference.load_state_dict({
        k[len('encoder.'):]: v.float()
        for k, v in official_state_dict(reference, fuse, decoder).items()
        if k.startswith('encoder.') and 'positional_embedding_new' not in k
    })
    return reference, fuse, decoder, model


# --- tests ------------------------------------------------------------------


def test_decoder_and_attn_pred_match_the_official(models):
    reference, fuse, decoder, model = models
    torch.manual_seed(1)
    images = torch.randn(2, 3, 48, 80)
    fts_all, _ = official_encode_image(reference, images)
    with torch.no_grad():
        seg, attn_pred = official_decode(fuse, decoder, fts_all, 2, 48, 80)
        features = model.extract_feat(images)
        logits, affinity = model.decode_head.forward_with_affinity(features)
    assert len(features) == 11 and features[0].shape == (2, 128, 3, 5)
    torch.testing.assert_close(logits, seg, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(affinity, attn_pred, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(model._forward(images), seg, atol=1e-5,
                               rtol=1e-5)


def test_checkpoint_conversion(models, tmp_path):
    """The official state dict converts whole (CLIP included) through the
    CLI; the decoder alone with --no-clip; a foreign key is named."""
    reference, fuse, decoder, model = models
    src = tmp_path / 'WeCLIP_model_iter_30000.pth'
    torch.save(official_state_dict(reference, fuse, decoder), src)
    dst = tmp_path / 'weclip.pth'
    run_tool('model_converters/weclip2mmwsss.py', src, dst)
    state = torch.load(dst, weights_only=True)['state_dict']
    assert set(state) == set(model.state_dict())
    assert all(v.dtype == torch.float32 for v in state.values())
    head_only = convert_weclip(
        official_state_dict(reference, fuse, decoder), with_clip=False)
    assert set(head_only) == {
        'decode_head.' + k for k in model.decode_head.state_dict()}
    with pytest.raises(InputKeyError, match='decoder.extra'):
        convert_weclip({'decoder.extra': torch.zeros(1)})


# perform_single_voc_cam (boxes at 0.4, the RFM of the last 6 attention
# maps) and perform_single_coco_cam (0.7, the last 10).
@pytest.mark.parametrize('box_threshold,rfm_blocks', [(0.4, 6), (0.7, 10)],
                         ids=['voc', 'coco'])
def test_online_pseudo_labels_match_the_official_forward(
        models, monkeypatch, box_threshold, rfm_blocks):
    """Grad-CAM, CAA (or the RFM), boxes, upsampling, background, PAR and
    the class ids of a batch against model_attn_aff_voc.py's (or _coco.py's)
    forward: the labels, PAR's input and PAR's scores, with and without the
    RFM."""
    reference, fuse, decoder, model = models
    monkeypatch.setitem(model.train_cfg, 'box_threshold', box_threshold)
    monkeypatch.setitem(model.train_cfg, 'rfm_blocks', rfm_blocks)
    monkeypatch.setitem(model.train_cfg, 'caa_blocks', 8)
    torch.manual_seed(2)
    images = torch.randn(2, 3, 64, 80)
    label_ids = [[0, 2], [1]]
    # The attention of every block the CAA (8) or the RFM reads.
    outputs, attention, hw_shape = model.clip_forward(
        images, 12 - max(8, rfm_blocks))
    assert len(attention) == max(8, rfm_blocks) - 1
    with torch.no_grad():
        _, affinity = model.decode_head.forward_with_affinity(
            model._decoder_inputs(outputs, hw_shape))
    captured = []
    handle = model.par.register_forward_hook(
        lambda module, args, output: captured.append(
            (args[1][0].detach().clone(), output[0].detach().clone())))
    results = {}
    try:
        for rfm in (False, True):
            _, attn_pred, want_labels, want_scores, want_inputs = \
                official_pseudo_labels(reference, fuse, decoder, images,
                                       label_ids, rfm, box_threshold,
                                       rfm_blocks)
            torch.testing.assert_close(affinity, attn_pred, atol=1e-5,
                                       rtol=1e-5)
            captured.clear()
            ours = model.online_pseudo_labels(
                images, [torch.tensor(k) for k in label_ids], outputs,
                attention, hw_shape, affinity, rfm)
            assert ours.shape == (2, 64, 80) and ours.dtype == torch.long
            assert len(captured) == 2
            for label, want, keys, (par_input, scores), want_input, \
                    want_score in zip(ours, want_labels, label_ids, captured,
                                      want_inputs, want_scores):
                # [bg; refined, normalised, upsampled CAMs] and PAR's
                # scores (float32 Grad-CAMs, min-max stretched: up to 5e-5
                # apart).
                assert par_input.shape == (len(keys) + 1, 64, 80)
                torch.testing.assert_close(par_input, want_input,
                                           atol=2e-4, rtol=1e-4)
                torch.testing.assert_close(scores, want_score, atol=2e-4,
                                           rtol=1e-4)
                torch.testing.assert_close(label, want)
                # Not a trivial map: the background and every class.
                assert set(label.unique().tolist()) == {0} | {
                    k + 1 for k in keys}
            results[rfm] = (ours, [c[1] for c in captured])
    finally:
        handle.remove()
    # The RFM branch really runs: its scores (and here its labels) differ
    # from those of the CAA alone for some image.
    (caa_labels, caa_scores), (rfm_labels, rfm_scores) = (results[False],
                                                          results[True])
    assert any(not torch.allclose(a, b, atol=1e-3)
               for a, b in zip(caa_scores, rfm_scores))
    assert (caa_labels != rfm_labels).any()


def test_rfm_and_transition_matrix_match_the_official():
    torch.manual_seed(3)
    n = 20
    attention = torch.rand(11, n + 1, n + 1).softmax(-1)
    last = torch.rand(1, n + 1, n + 1).softmax(-1)
    seg_attn = torch.rand(1, n, n) * 0.3 + torch.eye(n)[None] * 0.5
    maps = list(torch.cat([attention, last]))
    for rfm in (False, True):
        expected = official_trans_mat(attention, last, seg_attn, rfm)
        got = online_affinity(maps, seg_attn[0], rfm)
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)
    # The RFM selects: some layers are dropped (the signed difference).
    diff = (seg_attn - torch.cat([attention, last])[-6:, 1:, 1:]).flatten(
        1).sum(1)
    assert 0 < (diff <= diff.mean()).sum() < 6


def test_pseudo_label_rule_matches_the_official():
    """Refined grid CAMs to labels: min-max, resize, 1 - max background,
    PAR (20 iterations) on the raw scores, argmax, class ids."""
    torch.manual_seed(4)
    grid = torch.rand(2, 4, 5) ** 3
    image = torch.randn(3, 64, 80)
    keys = [3, 7]
    _, want_scores, _ = official_cam_label(
        OfficialPAR(num_iter=20, dilations=[1, 2, 4, 8, 12, 24]), image,
        list(grid), keys, 80, 64)
    want = torch.tensor([0, 4, 8])[want_scores.argmax(0)]
    maps = F.interpolate(
        normalize_maps(grid)[None], size=(64, 80), mode='bilinear',
        align_corners=False)[0]
    par = PAR(num_iter=20, dilations=(1, 2, 4, 8, 12, 24))
    label = cams_to_pseudo_label(maps, torch.tensor(keys), image, par)
    torch.testing.assert_close(label, want)
    assert cams_to_pseudo_label(maps[:0], torch.tensor([]), image,
                                par).eq(0).all()


def test_affinity_labels_and_loss_match_the_official():
    torch.manual_seed(5)
    labels = torch.randint(0, 3, (2, 160, 192))
    labels[0, :32, :48] = 255
    grid = (160 // 16, 192 // 16)
    mask = official_get_mask_by_radius(*grid, radius=4)
    want = official_cams_to_affinity_label(labels, mask=mask)
    got = affinity_labels(labels, grid, radius=4)
    torch.testing.assert_close(got, want)
    affinity = torch.rand(2, grid[0] * grid[1], grid[0] * grid[1])
    torch.testing.assert_close(
        affinity_loss(affinity, got),
        official_get_aff_loss(affinity, want)[0])
    # The head's losses: 1 x the balanced CE of the upsampled logits and
    # 0.1 x the affinity loss (radius 8 at the official 20 x 20 grid).
    head = WeCLIPHead(in_channels=16, channels=16, num_heads=2,
                      num_classes=3)
    logits = torch.randn(2, 3, 20, 20)
    labels = torch.randint(0, 3, (2, 320, 320))
    affinity = torch.rand(2, 400, 400)
    losses = head.loss_by_feat(logits, affinity, labels)
    up = F.interpolate(logits, size=(320, 320), mode='bilinear',
                       align_corners=False)
    torch.testing.assert_close(losses['loss_seg'],
                               official_get_seg_loss(up, labels))
    aff_label = official_cams_to_affinity_label(
        labels, mask=official_get_mask_by_radius(20, 20, 8))
    torch.testing.assert_close(
        losses['loss_aff'], 0.1 * official_get_aff_loss(affinity,
                                                        aff_label)[0])
    # A batch labelled all background: the official foreground term is
    # NaN (an empty mean); here it counts 0.
    background = torch.zeros_like(labels)
    assert official_get_seg_loss(up, background).isnan()
    torch.testing.assert_close(
        head.loss_by_feat(logits, affinity, background)['loss_seg'],
        0.5 * F.cross_entropy(up, background))


def test_gradients_reach_only_the_decoder(models, monkeypatch):
    """After ``loss().backward()`` no CLIP parameter has a gradient; every
    decoder parameter has one; the RFM starts at ``rfm_start_iter``."""
    _, _, _, model = models
    model.train()
    assert not model.backbone.training and not model.text_encoder.training
    torch.manual_seed(6)
    inputs = torch.randn(2, 3, 64, 64)
    samples = []
    for keys in ([0, 2], [1]):
        sample = SegDataSample()
        labels = torch.zeros(len(NAMES))
        labels[keys] = 1
        sample.set_data(dict(gt_img_labels=labels))
        samples.append(sample)
    import mmwsss.models.segmentors.weclip as weclip_module
    seen = []
    original = weclip_module.online_affinity

    def spy(*args, **kwargs):
        seen.append(args[2])
        return original(*args, **kwargs)

    monkeypatch.setattr(weclip_module, 'online_affinity', spy)
    model.train_cfg['rfm_start_iter'] = 5
    hub = MessageHub.get_current_instance()
    try:
        for iteration, rfm in ((4, False), (5, True)):
            hub.update_info('iter', iteration)
            model.zero_grad()
            losses = model.loss(inputs, samples)
            assert set(losses) == {'loss_seg', 'loss_aff'}
            sum(losses.values()).backward()
            assert seen[-2:] == [rfm, rfm]
            for name, param in list(model.backbone.named_parameters()) + \
                    list(model.text_encoder.named_parameters()):
                assert not param.requires_grad and param.grad is None, name
            for name, param in model.decode_head.named_parameters():
                assert param.requires_grad and param.grad is not None, name
                assert param.grad.abs().sum() > 0, name
    finally:
        hub.update_info('iter', 0)
        model.train_cfg['rfm_start_iter'] = 15000
        model.zero_grad()
        model.eval()


def test_predict_matches_the_official_multi_scale_flip(models):
    """test_msc_flip_voc.py: long side to 512 (96 here), scales 1 and
    0.75 with flips, averaged at the first scale's size, upsampled to the
    label size."""
    reference, fuse, decoder, model = models
    torch.manual_seed(7)
    inputs = torch.randn(1, 3, 60, 75)

    def official_model(x):
        fts_all, _ = official_encode_image(reference, x)
        return official_decode(fuse, decoder, fts_all, x.shape[0],
                               x.shape[2], x.shape[3])[0]

    _, _, h, w = inputs.shape
    ratio = 96 / max(h, w)
    _h, _w = int(h * ratio), int(w * ratio)
    x = F.interpolate(inputs, size=(_h, _w), mode='bilinear',
                      align_corners=False)
    with torch.no_grad():
        segs_list = []
        segs_cat = official_model(torch.cat([x, x.flip(-1)], dim=0))
        segs_list.append((segs_cat[0, ...] + segs_cat[1, ...].flip(-1)) / 2)
        _, _, h, w = segs_cat.shape
        for s in [1, 0.75]:
            if s != 1.0:
                _inputs = F.interpolate(x, scale_factor=s, mode='bilinear',
                                        align_corners=False)
                segs_cat = official_model(
                    torch.cat([_inputs, _inputs.flip(-1)], dim=0))
                _segs_cat = F.interpolate(segs_cat, size=(h, w),
                                          mode='bilinear',
                                          align_corners=False)
                segs_list.append(
                    (_segs_cat[0, ...] + _segs_cat[1, ...].flip(-1)) / 2)
        msc_segs = torch.mean(torch.stack(segs_list, dim=0),
                              dim=0).unsqueeze(0)
        resized = F.interpolate(msc_segs, size=(60, 75), mode='bilinear',
                                align_corners=False)
    sample = SegDataSample(
        metainfo=dict(img_shape=(60, 75), ori_shape=(60, 75)))
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 60, 75).long())
    out = model.predict(inputs, [sample])[0]
    torch.testing.assert_close(out.seg_logits.data, resized[0], atol=1e-5,
                               rtol=1e-5)
    torch.testing.assert_close(out.pred_sem_seg.data[0],
                               resized[0].argmax(0))


class OfficialDenseCRF(object):
    """utils/dcrf.py's DenseCRF."""

    def __init__(self, iter_max, pos_w, pos_xy_std, bi_w, bi_xy_std,
                 bi_rgb_std):
        self.iter_max = iter_max
        self.pos_w = pos_w
        self.pos_xy_std = pos_xy_std
        self.bi_w = bi_w
        self.bi_xy_std = bi_xy_std
        self.bi_rgb_std = bi_rgb_std

    def __call__(self, image, probmap):
        import pydensecrf.densecrf as dcrf
        from pydensecrf import utils
        C, H, W = probmap.shape
        U = utils.unary_from_softmax(probmap)
        U = np.ascontiguousarray(U)
        image = np.ascontiguousarray(image)
        d = dcrf.DenseCRF2D(W, H, C)
        d.setUnaryEnergy(U)
        d.addPairwiseGaussian(sxy=self.pos_xy_std, compat=self.pos_w)
        d.addPairwiseBilateral(
            sxy=self.bi_xy_std, srgb=self.bi_rgb_std, rgbim=image,
            compat=self.bi_w)
        Q = d.inference(self.iter_max)
        Q = np.array(Q).reshape((C, H, W))
        return Q


def test_predict_with_the_official_crf(models):
    """crf_proc: DenseCRF on the softmax of the multi-scale logits at the
    image's size, with the (denormalised) RGB image."""
    _, _, _, model = models
    rng = np.random.default_rng(9)
    image = (rng.random((40, 56, 3)) * 255).astype(np.uint8)
    mean = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)
    std = torch.tensor([58.395, 57.12, 57.375]).view(3, 1, 1)
    inputs = ((torch.from_numpy(image).permute(2, 0, 1).float() - mean) /
              std)[None]
    preprocessor = model.data_preprocessor
    model.data_preprocessor = MODELS.build(
        dict(type='SegDataPreProcessor', mean=mean.flatten().tolist(),
             std=std.flatten().tolist(), bgr_to_rgb=True))
    try:
        meta = dict(img_shape=(40, 56), ori_shape=(40, 56))
        plain = model.predict(inputs, [SegDataSample(metainfo=meta)])[0]
        model.test_cfg['crf'] = OFFICIAL_CRF
        out = model.predict(inputs, [SegDataSample(metainfo=meta)])[0]
    finally:
        model.test_cfg['crf'] = None
        model.data_preprocessor = preprocessor
    post_processor = OfficialDenseCRF(
        iter_max=10, pos_xy_std=3, pos_w=3, bi_xy_std=64, bi_rgb_std=5,
        bi_w=4)
    prob = F.softmax(plain.seg_logits.data[None], dim=1)[0].numpy()
    want = post_processor(image, prob)
    np.testing.assert_allclose(out.seg_logits.data.numpy(), want,
                               atol=1e-5)
    np.testing.assert_array_equal(out.pred_sem_seg.data[0].numpy(),
                                  np.argmax(want, axis=0))


def test_bad_settings_are_named():
    init_default_scope('mmseg')
    cfg = tiny_model_cfg()
    cfg['decode_head']['num_classes'] = 3
    with pytest.raises(InputValueError, match='num_classes.*must be 4'):
        MODELS.build(cfg)
    cfg = tiny_model_cfg(rfm_layers=6)
    with pytest.raises(InputKeyError, match='rfm_layers'):
        MODELS.build(cfg)


# clip/clip_text.py's lists, re-typed.
OFFICIAL_NEW_CLASS_NAMES = [
    'aeroplane', 'bicycle', 'bird avian', 'boat', 'bottle',
    'bus', 'car', 'cat', 'chair seat', 'cow',
    'diningtable', 'dog', 'horse', 'motorbike',
    'person with clothes,people,human',
    'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor screen',
]
OFFICIAL_NEW_CLASS_NAMES_COCO = [
    'person with clothes,people,human', 'bicycle', 'car', 'motorbike',
    'aeroplane',
    'bus', 'train', 'truck', 'boat', 'traffic light',
    'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird avian',
    'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack,bag',
    'umbrella,parasol', 'handbag,purse', 'necktie', 'suitcase', 'frisbee',
    'skis', 'sknowboard', 'sports ball', 'kite', 'baseball bat',
    'glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
    'wine glass', 'cup', 'fork', 'knife', 'dessertspoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange',
    'broccoli', 'carrot', 'hot dog', 'pizza', 'donut',
    'cake', 'chair seat', 'sofa', 'pottedplant', 'bed',
    'diningtable', 'toilet', 'tvmonitor screen', 'laptop', 'mouse',
    'remote control', 'keyboard', 'cell phone', 'microwave', 'oven',
    'toaster', 'sink', 'refrigerator', 'book', 'clock',
    'vase', 'scissors', 'teddy bear', 'hairdrier,blowdrier', 'toothbrush',
]
OFFICIAL_BACKGROUND_CATEGORY = [
    'ground', 'land', 'grass', 'tree', 'building', 'wall', 'sky', 'lake',
    'water', 'river', 'sea', 'railway', 'railroad', 'keyboard', 'helmet',
    'cloud', 'house', 'mountain', 'ocean', 'road', 'rock', 'street',
    'valley', 'bridge', 'sign',
]
OFFICIAL_BACKGROUND_CATEGORY_COCO = [
    'ground', 'land', 'grass', 'tree', 'building', 'wall', 'sky', 'lake',
    'water', 'river', 'sea', 'railway', 'railroad', 'helmet',
    'cloud', 'house', 'mountain', 'ocean', 'road', 'rock', 'street',
    'valley', 'bridge',
]
# configs/{voc,coco}_attn_reg.yaml, scripts/dist_clip_{voc,coco}.py
# (PolyWarmupAdamW, learning_rate 2e-4 x 10 on the decoder's group),
# model_attn_aff_{voc,coco}.py and clip_tool.py, per dataset.
OFFICIAL_RECIPES = dict(
    voc=dict(
        config='weclip_vit-b16_voc12.py',
        max_iters=30000,
        rfm_start_iter=15000,
        rfm_blocks=6,
        box_threshold=0.4,
        class_names=OFFICIAL_NEW_CLASS_NAMES,
        background_names=OFFICIAL_BACKGROUND_CATEGORY,
        classes_per_backward=None),
    coco=dict(
        config='weclip_vit-b16_coco.py',
        max_iters=80000,
        rfm_start_iter=40000,
        rfm_blocks=10,
        box_threshold=0.7,
        class_names=OFFICIAL_NEW_CLASS_NAMES_COCO,
        background_names=OFFICIAL_BACKGROUND_CATEGORY_COCO,
        # mmwsss's own memory setting (16 classes a backward pass); the
        # CAMs do not depend on it.
        classes_per_backward=16))


@pytest.mark.parametrize('dataset', ['voc', 'coco'])
def test_config_is_the_official_recipe(dataset):
    recipe = OFFICIAL_RECIPES[dataset]
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/weclip', recipe['config']))
    max_iters = recipe['max_iters']
    model = cfg.model
    assert model.type == 'WeCLIP'
    # normalize_img: ImageNet's mean and std on RGB; crops of 320.
    assert model.data_preprocessor.mean == [123.675, 116.28, 103.53]
    assert model.data_preprocessor.std == [58.395, 57.12, 57.375]
    assert model.data_preprocessor.bgr_to_rgb is True
    assert tuple(model.data_preprocessor.size) == (320, 320)
    # clip_text.py's names and zeroshot_classifier's one template.
    assert model.class_names == recipe['class_names']
    assert model.background_names == recipe['background_names']
    assert list(model.templates) == ['a clean origami {}.']
    num_classes = len(recipe['class_names']) + 1
    assert num_classes == dict(voc=21, coco=81)[dataset]
    assert len(recipe['background_names']) == dict(voc=25, coco=23)[dataset]
    # SegFormerHead(index=11, embedding_dim=256), DecoderTransformer(
    # width=256, layers=3, heads=8) (mlp 4x, dropout 0.1), loss
    # 1 * seg + 0.1 * attn, get_mask_by_radius(radius=8).
    assert model.decode_head == dict(
        type='WeCLIPHead',
        in_channels=768,
        num_inputs=11,
        channels=256,
        num_layers=3,
        num_heads=8,
        mlp_ratio=4,
        num_classes=num_classes,
        dropout_ratio=0.1,
        loss_seg_weight=1.0,
        loss_aff_weight=0.1,
        aff_radius=8)
    # perform_single_{voc,coco}_cam: CAA of [-8:], compute_trans_mat's 3
    # rounds, the RFM of [-6:] / [-10:] after 15000 / 40000, boxes at
    # 0.4 / 0.7; PAR(num_iter=20, dilations=[1, 2, 4, 8, 12, 24]).
    train_cfg = dict(
        rfm_start_iter=recipe['rfm_start_iter'],
        rfm_blocks=recipe['rfm_blocks'],
        caa_blocks=8,
        caa_iterations=3,
        box_threshold=recipe['box_threshold'],
        par=dict(num_iter=20, dilations=(1, 2, 4, 8, 12, 24)))
    if recipe['classes_per_backward'] is not None:
        train_cfg['classes_per_backward'] = recipe['classes_per_backward']
    assert model.train_cfg == train_cfg
    assert tuple(model.train_cfg.par.dilations) == (1, 2, 4, 8, 12, 24)
    # test_msc_flip_{voc,coco}.py: long side 512, scales 1 and 0.75, flip,
    # crf_proc commented out.
    assert model.test_cfg == dict(
        resize_long=512, scales=(1.0, 0.75), flip=True, crf=None)
    # AdamW: betas (0.9, 0.999), eps 1e-8, wd 0.01, lr 2e-4 x 10.
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.optim_wrapper.optimizer == dict(
        type='AdamW',
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.01)
    assert 'paramwise_cfg' not in cfg.optim_wrapper
    # 50 warm-up iterations from 1e-6, then poly 1.0 to max_iters.
    assert cfg.param_scheduler == [
        dict(
            type='PolyWarmupLR',
            warmup_iters=50,
            warmup_ratio=1e-6,
            power=1.0,
            max_iters=max_iters,
            begin=0,
            end=max_iters,
            by_epoch=False)
    ]
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == max_iters
    # samples_per_gpu 4 on 1 GPU; crop_size 320.
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.crop_size == 320
    # VOC12ClsDataset / CocoClsDataset with aug: random_scaling
    # [0.5, 2.0] (PIL bilinear), random_fliplr, random_crop(320) padding
    # the image with 0 (labels 255), normalize_img.
    assert cfg.train_dataloader.dataset.pipeline == [
        dict(type='LoadImageFromFile'),
        dict(
            type='RandomRescale',
            scale_range=(0.5, 2.0),
            interpolation='bilinear',
            backend='pillow'),
        dict(type='RandomFlip', prob=0.5),
        dict(
            type='IRNRandomCrop',
            crop_size=320,
            img_pad_val=0,
            seg_pad_val=255),
        dict(type='PackWSSSInputs'),
    ]


@pytest.fixture(scope='module')
def tiny_clip_checkpoint(tmp_path_factory):
    """The tiny OpenAI CLIP converted by clip2mmwsss's function."""
    torch.manual_seed(8)
    reference = CLIP(**SMALL)
    path = str(tmp_path_factory.mktemp('weclip_clip') / 'clip.pth')
    torch.save(dict(state_dict=convert_openai_clip(reference.state_dict())),
               path)
    return path


def tiny_run_cfg(tiny_data, work_dir, checkpoint, max_iters=2):
    """The VOC config on the tiny CLIP, 64 crops of the demo data."""
    options = {
        'model.init_cfg.checkpoint': checkpoint,
        'model.class_names': ['beetle', 'fish', 'bird'],
        'model.background_names': BACKGROUND,
        'model.decode_head.num_classes': TINY_CLASSES + 1,
        'model.test_cfg.resize_long': 64,
        'model.data_preprocessor.size': (64, 64),
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.ann_file':
        'ImageSets/Segmentation/train.txt',
        'train_dataloader.dataset.data_prefix.seg_map_path':
        'SegmentationClass',
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': max_iters,
        'param_scheduler.0.warmup_iters': 1,
        'param_scheduler.0.max_iters': max_iters,
        'param_scheduler.0.end': max_iters,
        'model.train_cfg.rfm_start_iter': 1,
        'default_hooks.logger.interval': 1,
        'default_hooks.checkpoint.interval': max_iters,
    }
    options.update(no_worker_options())
    cfg = load_config(VOC_CONFIG, options, work_dir=str(work_dir),
                      data_root=tiny_data)
    tiny = tiny_model_cfg()
    for key in ('backbone', 'text_encoder'):
        cfg.model[key] = tiny[key]
    cfg.model.decode_head.update(
        in_channels=128, channels=WIDTH, num_classes=TINY_CLASSES + 1)
    cfg.train_dataloader.dataset.pipeline[3].crop_size = 64
    return cfg


def test_training_run_and_iou_metric(tiny_data, tiny_clip_checkpoint,
                                     tmp_path):
    """tools/train.py's path: two iterations of the VOC recipe (the RFM
    from the second), then predict evaluated by mmseg's IoUMetric."""
    cfg = tiny_run_cfg(tiny_data, tmp_path / 'work', tiny_clip_checkpoint)
    runner = Runner.from_cfg(cfg)
    model = runner.train()
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
    # Training changed the decoder only.
    state = torch.load(tiny_clip_checkpoint, weights_only=True)['state_dict']
    for key, value in model.state_dict().items():
        if key.startswith(('backbone.', 'text_encoder.')):
            torch.testing.assert_close(value, state[key])
    # The run ends with the validation of the final model.
    miou = runner.message_hub.get_scalar('val/mIoU').current()
    assert 0 <= miou <= 100
    loss = runner.message_hub.get_scalar('train/loss_aff').current()
    assert 0 < loss < 0.1
    assert np.isfinite(
        runner.message_hub.get_scalar('train/loss_seg').current())


def test_a_missing_clip_checkpoint_is_named_before_training(
        tiny_data, tmp_path):
    path = str(tmp_path / 'clip_vit-b16_openai.pth')
    cfg = tiny_run_cfg(tiny_data, tmp_path / 'work', path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(InputFileNotFoundError,
                       match=f'{path}.*clip2mmwsss.py'):
        runner.train()
    assert runner.iter == 0
