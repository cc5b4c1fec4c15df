"""CLIP-ES: the CLIP model against OpenAI's own package on random weights,
and the CAM and CAA maths against a literal re-typing of CLIP-ES's
``generate_cams_voc12.py`` (with its modified ``clip/model.py``,
pytorch-grad-cam's ``GradCAM`` and ``utils.scoremap2bbox``)."""
import os
import os.path as osp

import clip
import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from clip.model import CLIP
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

import mmwsss  # noqa: F401
from mmwsss.apis import make_cams
from mmwsss.cams import load_cam_file
from mmwsss.datasets.demo_data import make_demo_dataset
from mmwsss.models.utils import convert_openai_clip
from mmwsss.models.utils.clip_es import (attention_affinity, box_mask,
                                         refine_with_affinity)
from mmwsss.utils.errors import InputFileNotFoundError, InputValueError

from conftest import REPO_ROOT, run_tool

SMALL = dict(
    embed_dim=64,
    image_resolution=64,
    vision_layers=3,
    vision_width=128,
    vision_patch_size=16,
    context_length=77,
    vocab_size=49408,
    transformer_width=64,
    transformer_heads=1,
    transformer_layers=2)
NAMES = ['cat', 'dog', 'person with clothes,people,human']
BACKGROUND = ['sky', 'grass', 'wall']
TEMPLATE = 'a clean origami {}.'


def small_clip_parts(num_layers: int = 3) -> dict:
    """mmwsss's image and text encoders of ``CLIP(**SMALL)`` with
    ``vision_layers=num_layers``, and the prompts' words."""
    return dict(
        backbone=dict(
            type='CLIPVisionTransformer',
            img_size=64,
            embed_dims=128,
            num_layers=num_layers,
            num_heads=2,
            output_dims=64,
            interpolate_mode='bilinear'),
        text_encoder=dict(
            type='CLIPTextEncoder',
            embed_dims=64,
            num_layers=2,
            num_heads=1,
            output_dims=64,
            cache_feature=False),
        class_names=NAMES,
        background_names=BACKGROUND,
        templates=[TEMPLATE])


def small_model_cfg(**test_cfg):
    return dict(
        type='CLIPES',
        test_cfg=dict(caa_blocks=2, **test_cfg),
        **small_clip_parts())


@pytest.fixture(scope='module')
def models():
    """OpenAI's CLIP with random weights and mmwsss's, loaded from the
    converted state dict."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    reference = CLIP(**SMALL).eval()
    # Random weights far from CLIP's init make the test sharper: the
    # per-layer scales differ and the attention is not uniform.
    with torch.no_grad():
        for param in reference.parameters():
            param.add_(torch.randn_like(param) * 0.02)
    model = MODELS.build(small_model_cfg()).eval()
    state = convert_openai_clip(reference.state_dict())
    result = model.load_state_dict(state, strict=False)
    assert not result.missing_keys and not result.unexpected_keys
    return reference, model


def test_converted_clip_gives_openai_clips_features(models):
    reference, model = models
    images = torch.randn(2, 3, 64, 64)
    tokens = clip.tokenize([TEMPLATE.format(n) for n in NAMES])
    with torch.no_grad():
        image_ref = reference.encode_image(images)
        text_ref = reference.encode_text(tokens)
        image = model.backbone.encode_image(images)
        text = model.text_encoder.encode_text(tokens)
    torch.testing.assert_close(image, image_ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(text, text_ref, atol=1e-5, rtol=0)
    # The text side the CAMs use: one template, normalised twice.
    class_features, _ = model.text_features()
    literal = text_ref / text_ref.norm(dim=-1, keepdim=True)
    literal = literal / literal.norm(dim=-1, keepdim=True)
    torch.testing.assert_close(class_features, literal, atol=1e-6, rtol=0)


# --- CLIP-ES, re-typed from generate_cams_voc12.py -------------------------


def official_upsample_pos_emb(emb, new_size):
    first, rest = emb[:1], emb[1:]
    side = int(rest.shape[0]**0.5)
    rest = rest.reshape(side, side, -1).permute(2, 0, 1)[None]
    rest = F.interpolate(rest, size=new_size, mode='bilinear')
    rest = rest[0].reshape(emb.shape[1], -1).permute(1, 0)
    return torch.cat([first, rest], 0)


def official_block(block, x):
    """ResidualAttentionBlock of CLIP-ES's model.py: returns the head-
    averaged attention too."""
    y = block.ln_1(x)
    out, weight = block.attn(y, y, y, need_weights=True)
    x = x + out
    return x + block.mlp(block.ln_2(x)), weight


def official_scoremap2bbox(scoremap, threshold):
    height, width = scoremap.shape
    image = np.expand_dims((scoremap * 255).astype(np.uint8), 2)
    _, thr = cv2.threshold(image, int(threshold * np.max(image)), 255,
                           cv2.THRESH_BINARY)
    contours = cv2.findContours(thr, cv2.RETR_TREE,
                                cv2.CHAIN_APPROX_SIMPLE)[0]
    if len(contours) == 0:
        return np.asarray([[0, 0, 0, 0]]), 1
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        x0, y0, x1, y1 = x, y, x + w, y + h
        x1 = min(x1, width - 1)
        y1 = min(y1, height - 1)
        boxes.append([x0, y0, x1, y1])
    return np.asarray(boxes), len(contours)


def official_scale_cam_image(cam, target_size=None):
    result = []
    for img in cam:
        img = img - np.min(img)
        img = img / (1e-7 + np.max(img))
        if target_size is not None:
            img = cv2.resize(img, target_size)
        result.append(img)
    return np.float32(result)


def official_affinity(attn_weight_list):
    attn_weight = [aw[:, 1:, 1:] for aw in attn_weight_list]
    attn_weight = torch.stack(attn_weight, dim=0)[-2:]  # caa_blocks=2
    attn_weight = torch.mean(attn_weight, dim=0)[0].float()
    trans_mat = attn_weight / torch.sum(attn_weight, dim=0, keepdim=True)
    trans_mat = trans_mat / torch.sum(trans_mat, dim=1, keepdim=True)
    for _ in range(2):
        trans_mat = trans_mat / torch.sum(trans_mat, dim=0, keepdim=True)
        trans_mat = trans_mat / torch.sum(trans_mat, dim=1, keepdim=True)
    trans_mat = (trans_mat + trans_mat.transpose(1, 0)) / 2
    for _ in range(1):
        trans_mat = torch.matmul(trans_mat, trans_mat)
    return trans_mat


def official_cams(reference, image, label_ids, threshold=0.4, caa=True):
    """CLIP-ES's per-image loop: 11 blocks without gradients, then one
    forward and backward of the last block per class."""
    visual = reference.visual
    ori_h, ori_w = image.shape[-2:]
    h, w = ori_h // 16, ori_w // 16

    def zeroshot(names):
        rows = []
        for name in names:
            e = reference.encode_text(clip.tokenize([TEMPLATE.format(name)]))
            e = e / e.norm(dim=-1, keepdim=True)
            e = e.mean(dim=0)
            rows.append(e / e.norm())
        return torch.stack(rows, dim=1).t()

    with torch.no_grad():
        bg_text = zeroshot(BACKGROUND)
        fg_text = zeroshot(NAMES)
        x = visual.conv1(image).reshape(1, visual.conv1.out_channels, -1)
        x = x.permute(0, 2, 1)
        x = torch.cat([visual.class_embedding[None, None], x], 1)
        x = x + official_upsample_pos_emb(visual.positional_embedding,
                                          (h, w))
        x = visual.ln_pre(x).permute(1, 0, 2)
        attn_weights = []
        for block in visual.transformer.resblocks[:-1]:
            x, weight = official_block(block, x)
            attn_weights.append(weight)
    texts = torch.cat([fg_text[label_ids], bg_text])
    last = visual.transformer.resblocks[-1]
    results = []
    for index in range(len(label_ids)):
        captured = {}

        def save(module, args, output):
            captured['act'] = output
            output.register_hook(lambda g: captured.update(grad=g))

        handle = last.ln_1.register_forward_hook(save)
        y, weight = official_block(last, x)
        handle.remove()
        y = visual.ln_post(y.permute(1, 0, 2))
        feature = torch.mean(y[:, 1:, :], dim=1) @ visual.proj
        feature = feature / feature.norm(dim=1, keepdim=True)
        text = texts / texts.norm(dim=1, keepdim=True)
        probs = (reference.logit_scale.exp() * feature @ text.t()).softmax(-1)
        reference.zero_grad()
        probs[0][index].backward(retain_graph=True)

        def reshape(t):
            t = t.permute(1, 0, 2)[:, 1:, :].reshape(1, h, w, t.shape[2])
            return t.transpose(2, 3).transpose(1, 2)

        act = reshape(captured['act']).detach().numpy()
        grad = reshape(captured['grad']).detach().numpy()
        weights = np.mean(grad, axis=(2, 3))
        cam = (weights[:, :, None, None] * act).sum(axis=1)
        cam = np.maximum(cam, 0).astype(np.float32)
        cam = official_scale_cam_image(cam)[:, None]
        cam = np.maximum(np.concatenate([cam], axis=1), 0)
        cam = official_scale_cam_image(np.mean(cam, axis=1))[0]
        if not caa:
            results.append(cv2.resize(cam, (ori_w, ori_h)))
            continue
        trans_mat = official_affinity(attn_weights + [weight.detach()])
        box, count = official_scoremap2bbox(cam, threshold)
        aff_mask = torch.zeros(cam.shape)
        for i in range(count):
            x0, y0, x1, y1 = box[i]
            aff_mask[y0:y1, x0:x1] = 1
        aff_mask = aff_mask.view(1, -1)
        refined = torch.matmul(trans_mat * aff_mask,
                               torch.FloatTensor(cam).view(-1, 1))
        refined = refined.reshape(h, w).numpy().astype(np.float32)
        results.append(
            official_scale_cam_image([refined], (ori_w, ori_h))[0])
    return np.stack(results)


@pytest.mark.parametrize('caa', [True, False])
def test_cams_match_clip_es_loop(models, caa):
    reference, model = models
    model.test_cfg.update(caa=caa)
    torch.manual_seed(1)
    # A grid of 3 x 5 patches: the position embedding is interpolated.
    images = torch.randn(2, 3, 48, 80)
    labels = [torch.tensor([0, 2]), torch.tensor([1])]
    ours = model.image_cams(images, labels)
    for image, keys, cams in zip(images, labels, ours):
        expected = official_cams(reference, image[None], keys, caa=caa)
        np.testing.assert_allclose(cams.numpy(), expected, atol=2e-4)
    model.test_cfg.update(caa=True)


def test_affinity_and_boxes_match_clip_es():
    torch.manual_seed(2)
    attention = [torch.rand(1, 13, 13).softmax(-1) for _ in range(4)]
    torch.testing.assert_close(
        attention_affinity(attention[-2:])[0], official_affinity(attention))
    # A blob touching the right border: CLIP-ES's boxes never cover the
    # last column or row.
    cam = np.zeros((3, 4), np.float32)
    cam[0:2, 2:4] = 1.0
    cam[2, 0] = 0.5
    box, count = official_scoremap2bbox(cam, 0.4)
    expected = np.zeros(cam.shape, bool)
    for x0, y0, x1, y1 in box[:count]:
        expected[y0:y1, x0:x1] = True
    np.testing.assert_array_equal(box_mask(cam, 0.4), expected)
    assert not box_mask(cam, 0.4)[:, 3].any()
    # No contour: nothing spreads, the refined CAM is 0.
    flat = torch.zeros(1, 3, 4)
    assert refine_with_affinity(flat, torch.eye(12), 0.4).abs().max() == 0


def test_images_batched_together_get_their_own_cams(models):
    """One backward pass for all classes of all images of a batch gives
    each image the maps it gets alone (the softmax of each image runs over
    its own classes)."""
    _, model = models
    torch.manual_seed(3)
    images = torch.randn(2, 3, 32, 48)
    labels = [torch.tensor([0, 1, 2]), torch.tensor([2])]
    together = model.image_cams(images, labels)
    # Maps in [0, 1]; batched matrix products sum in another order than
    # single ones (1.01e-5 apart on some CPUs).
    for image, keys, cams in zip(images, labels, together):
        alone = model.image_cams(image[None], [keys])[0]
        torch.testing.assert_close(cams, alone, atol=5e-5, rtol=0)
    # CLIP-ES's loop, one backward pass per class, gives the same maps.
    model.test_cfg.update(classes_per_backward=1)
    try:
        looped = model.image_cams(images, labels)
    finally:
        model.test_cfg.update(classes_per_backward=None)
    for cams, loop in zip(together, looped):
        torch.testing.assert_close(cams, loop, atol=5e-5, rtol=0)


def test_bad_class_names_are_named():
    init_default_scope('mmseg')
    cfg = small_model_cfg()
    cfg['class_names'] = ['cat', ' ']
    with pytest.raises(InputValueError, match="class ' '.*no token"):
        MODELS.build(cfg)
    cfg['class_names'] = ['cat', ' '.join(['zebra'] * 80)]
    with pytest.raises(InputValueError, match='class .zebra.*77'):
        MODELS.build(cfg)


def test_a_missing_clip_checkpoint_names_the_file_and_the_converter(
        tmp_path):
    init_default_scope('mmseg')
    cfg = small_model_cfg()
    path = str(tmp_path / 'clip_vit-b16_openai.pth')
    cfg['init_cfg'] = dict(type='Pretrained', checkpoint=path)
    model = MODELS.build(cfg)
    with pytest.raises(InputFileNotFoundError,
                       match=f'{path}.*clip2mmwsss.py'):
        model.init_weights()


@pytest.fixture(scope='module')
def vit_b16_checkpoint(tmp_path_factory):
    """OpenAI's ViT-B/16 CLIP at full size with random weights, saved as
    OpenAI's state dict and converted by tools/model_converters."""
    tmp_path = tmp_path_factory.mktemp('clip_vit_b16')
    torch.manual_seed(4)
    reference = CLIP(
        embed_dim=512,
        image_resolution=224,
        vision_layers=12,
        vision_width=768,
        vision_patch_size=16,
        context_length=77,
        vocab_size=49408,
        transformer_width=512,
        transformer_heads=8,
        transformer_layers=12)
    src = str(tmp_path / 'ViT-B-16.pt')
    torch.save(reference.state_dict(), src)
    dst = str(tmp_path / 'clip_vit-b16_openai.pth')
    run_tool('model_converters/clip2mmwsss.py', src, dst)
    return dst


def test_clip_es_writes_cam_files_at_voc_size_on_the_cpu(
        vit_b16_checkpoint, tmp_path):
    """The shipped VOC config with ViT-B/16 at full size, one 500 x 500
    image, with no checkpoint argument."""
    dst = vit_b16_checkpoint
    root = str(tmp_path / 'data')
    make_demo_dataset(root, num_train=1, num_val=0, image_size=500,
                      num_classes=2)
    config = osp.join(REPO_ROOT, 'configs/clip_es/clip-es_vit-b16_voc12.py')
    out_dir = str(tmp_path / 'cams')
    written = make_cams(
        config,
        None,
        out_dir,
        split='train',
        data_root=root,
        num_workers=0,
        device='cpu',
        cfg_options={
            'model.init_cfg.checkpoint': dst,
            'model.class_names': ['square', 'disc']
        },
        progress=False)
    assert written == 1
    cam = load_cam_file(next(iter(sorted(
        osp.join(out_dir, f) for f in os.listdir(out_dir)
        if f.endswith('.npy')))))
    assert cam['high_res'].shape[1:] == (500, 500)
    assert cam['high_res'].max() == pytest.approx(1.0, abs=1e-3)


def test_confident_crf_labels_match_clip_es():
    """``eval_cam_with_crf.py``: CRF over [(1 - max CAM) ** 1; CAMs], 255
    below a confidence of 0.95 (on an RGB image; CLIP-ES passes a
    mean-subtracted BGR image cast to uint8, see the README)."""
    import pydensecrf.densecrf as dcrf
    from pydensecrf.utils import unary_from_softmax

    from mmwsss.pseudo_labels import confident_crf_label

    rng = np.random.default_rng(5)
    image = (rng.random((20, 30, 3)) * 255).astype(np.uint8)
    cams = np.zeros((2, 20, 30), np.float32)
    cams[0, 2:12, 3:15] = 0.9
    cams[1, 8:18, 12:28] = 0.7
    cams = np.clip(cams + rng.random(cams.shape).astype(np.float32) * 0.2,
                   0, 1)
    keys = np.array([4, 11])

    bg_score = np.power(1 - np.max(cams, axis=0, keepdims=True), 1)
    prob = np.concatenate((bg_score, cams), axis=0)
    C, H, W = prob.shape
    U = unary_from_softmax(prob)
    U = np.ascontiguousarray(U)
    d = dcrf.DenseCRF2D(W, H, C)
    d.setUnaryEnergy(U)
    d.addPairwiseGaussian(sxy=1, compat=3)
    d.addPairwiseBilateral(sxy=67, srgb=3,
                           rgbim=np.ascontiguousarray(image), compat=4)
    Q = np.array(d.inference(10)).reshape((C, H, W))
    label = np.pad(keys + 1, (1, 0), mode='constant')[np.argmax(Q, axis=0)]
    label[np.max(Q, axis=0) < 0.95] = 255
    np.testing.assert_array_equal(confident_crf_label(cams, keys, image),
                                  label.astype(np.uint8))


def test_clip_es_pipeline_runs_without_training(vit_b16_checkpoint,
                                                tiny_data, tmp_path):
    """CLIP-ES's pipeline stages on the demo preset: no training stage,
    CAM files of the train split, seeds, CLIP-ES's confident CRF labels;
    a missing CLIP checkpoint is named before any stage runs."""
    from mmwsss.pipeline import PipelineRunner
    from mmwsss.pipeline.configs import build_pipeline_config

    path = tmp_path / 'clip_es_demo.py'
    path.write_text(
        f"_base_ = '{REPO_ROOT}/configs/_base_/pipelines/demo.py'\n"
        "method = 'clip_es'\nseed = 'clip_es'\nrefine = 'crf'\n"
        "seed_config = 'clip_es/clip-es_vit-b16_voc12.py'\n"
        "seed_cfg_options = {'model.init_cfg.checkpoint': "
        f"'{vit_b16_checkpoint}', "
        "'model.class_names': ['beetle', 'fish', 'bird']}\n"
        "stages = {'{seed}/train': dict(type='PretrainedModel'),\n"
        "          'crf_labels': dict(settings=dict(mode='confident_crf'))}"
        "\n")
    targets = ['clip_es/summary', 'crf_eval']
    cfg = build_pipeline_config(str(path))
    work_dir = str(tmp_path / 'run')
    results = PipelineRunner(cfg, tiny_data, work_dir, num_workers=0,
                             targets=targets).run()
    summary = results['clip_es/summary']
    assert summary['checkpoint'] is None and summary['seed_miou'] > 0
    cams = [n for n in os.listdir(summary['cam_dir']) if n.endswith('.npy')]
    assert len(cams) == 24
    labels = results['crf_eval']
    assert 0 < labels['miou'] <= 100
    assert not osp.exists(osp.join(work_dir, 'clip_es', 'classifier'))

    cfg.seed_cfg_options['model.init_cfg.checkpoint'] = str(
        tmp_path / 'none.pth')
    fresh = str(tmp_path / 'fresh')
    with pytest.raises(InputFileNotFoundError, match='none.pth.*clip2mmwsss'):
        PipelineRunner(cfg, tiny_data, fresh, targets=targets).run()
    assert not osp.exists(fresh)
