"""SEC (Kolesnikov & Lampert, ECCV 2016): its losses, CRF layer and
test-time inference against the official ``pylayers/pylayers.py``,
``CRF/krahenbuhl2013/CRF.py`` and ``deploy/demo.py`` re-typed below (Theano
expressions as torch ones, in float64), the configs, and the driver on the
tiny dataset."""
import json
import os
import os.path as osp

import numpy as np
import pydensecrf.densecrf as dcrf
import pytest
import scipy.ndimage as nd
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from PIL import Image
from scipy.ndimage import zoom

from mmwsss.apis import load_config
from mmwsss.pipeline import build_pipeline_config, run_pipeline
from mmwsss.pipeline.record import relative_paths
from mmwsss.cams import save_cam_file
from mmwsss.datasets.image_labels import read_split_ids, split_file
from mmwsss.evaluation import evaluate_pseudo_labels
from mmwsss.models.heads.sec_head import (constrain_loss, crf_posteriors,
                                          expand_loss,
                                          global_weighted_rank_pooling,
                                          gwrp_decay, sec_softmax, seed_loss)
from mmwsss.utils import load_label_png, save_palette_png
from conftest import REPO_ROOT, TINY_CLASSES, no_worker_options

DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'sec_r18_demo.py')
VOC_CONFIG = osp.join(REPO_ROOT, 'configs', 'sec', 'sec_r50_voc.py')
# The tiny network starts from a CAM classifier trained for one epoch: it
# needs a few hundred steps to leave the all-background start.
MAX_ITERS = 300

# ------------------------------------------- official code, re-typed

min_prob = 0.0001


def official_softmax(preds):
    """``SoftmaxLayer``."""
    preds_max = torch.max(preds, dim=1, keepdim=True).values
    preds_exp = torch.exp(preds - preds_max)
    probs = preds_exp / torch.sum(preds_exp, dim=1, keepdim=True) + min_prob
    probs = probs / torch.sum(probs, dim=1, keepdim=True)
    return probs


def official_seed_loss(probs, labels):
    """``SeedLossLayer``."""
    count = torch.sum(labels, dim=(1, 2, 3), keepdim=True)
    loss_balanced = -torch.mean(
        torch.sum(labels * torch.log(probs), dim=(1, 2, 3), keepdim=True) /
        count)
    return loss_balanced


def official_expand_loss(probs_tmp, stat_inp):
    """``ExpandLossLayer`` (20 classes on 41x41 cells, as hard-coded)."""
    stat = stat_inp[:, :, :, 1:]

    probs_bg = probs_tmp[:, 0, :, :]
    probs = probs_tmp[:, 1:, :, :]

    probs_max = torch.max(probs, dim=3).values.max(dim=2).values

    q_fg = 0.996
    probs_sort = torch.sort(probs.reshape((-1, 20, 41 * 41)), dim=2).values
    weights = np.array([q_fg**i
                        for i in range(41 * 41 - 1, -1, -1)])[None, None, :]
    Z_fg = np.sum(weights)
    weights = torch.from_numpy(weights)
    probs_mean = torch.sum((probs_sort * weights) / Z_fg, dim=2)

    q_bg = 0.999
    probs_bg_sort = torch.sort(probs_bg.reshape((-1, 41 * 41)), dim=1).values
    weights_bg = np.array([q_bg**i
                           for i in range(41 * 41 - 1, -1, -1)])[None, :]
    Z_bg = np.sum(weights_bg)
    weights_bg = torch.from_numpy(weights_bg)
    probs_bg_mean = torch.sum((probs_bg_sort * weights_bg) / Z_bg, dim=1)

    stat_2d = (stat[:, 0, 0, :] > 0.5).double()

    loss_1 = -torch.mean(
        torch.sum((stat_2d * torch.log(probs_mean) /
                   torch.sum(stat_2d, dim=1, keepdim=True)),
                  dim=1))
    loss_2 = -torch.mean(
        torch.sum(((1 - stat_2d) * torch.log(1 - probs_max) /
                   torch.sum(1 - stat_2d, dim=1, keepdim=True)),
                  dim=1))
    loss_3 = -torch.mean(torch.log(probs_bg_mean))

    loss = loss_1 + loss_2 + loss_3
    return loss


def official_constrain_loss(probs, probs_smooth_log):
    """``ConstrainLossLayer``; the CRF layer below it passes no gradient."""
    probs_smooth = torch.exp(probs_smooth_log.detach())
    loss = torch.mean(
        torch.sum(probs_smooth * torch.log(probs_smooth / probs), dim=1))
    return loss


def CRF(image, unary, maxiter=10, scale_factor=1.0):
    """``krahenbuhl2013/CRF.py`` with its Cython/C++ wrapper spelled out in
    pydensecrf calls: the unary energy is ``-unary`` ([H, W, M] ravelled,
    read as an [M, W*H] column-major matrix), ``add_pairwise_energy`` adds
    the Gaussian kernel (3, 3 / s) and then the bilateral one (10, 80 / s,
    13), and ``inference`` returns [H, W, M]."""
    assert (image.shape[:2] == unary.shape[:2])
    H, W = image.shape[:2]
    nlables = unary.shape[2]
    crf = dcrf.DenseCRF2D(W, H, nlables)
    unary_costs = -unary.ravel().astype('float32')
    crf.setUnaryEnergy(
        np.ascontiguousarray(unary_costs.reshape(W * H, nlables).T))
    crf.addPairwiseGaussian(
        sxy=(3 / scale_factor, 3 / scale_factor), compat=3)
    crf.addPairwiseBilateral(
        sxy=(80 / scale_factor, 80 / scale_factor),
        srgb=(13, 13, 13),
        rgbim=np.ascontiguousarray(image.astype('ubyte')),
        compat=10)
    probs = np.array(crf.inference(maxiter))
    prediction = probs.T.reshape((H, W, nlables))
    return prediction


def official_crf_layer(fc8, images):
    """``CRFLayer.forward``: ``images`` are the mean-subtracted network
    inputs; returns ``log`` of the floored, renormalised posterior."""
    unary = np.transpose(np.array(fc8), [0, 2, 3, 1])

    mean_pixel = np.array([104.0, 117.0, 123.0])
    im = images
    im = zoom(im, (1.0, 1.0, 41.0 / im.shape[2], 41.0 / im.shape[3]), order=1)
    im = im + mean_pixel[None, :, None, None]
    im = np.transpose(np.round(im), [0, 2, 3, 1])

    N = unary.shape[0]

    result = np.zeros(unary.shape)

    for i in range(N):
        result[i] = CRF(im[i], unary[i], scale_factor=12.0)

    result = np.transpose(result, [0, 3, 1, 2])
    result[result < min_prob] = min_prob
    result = result / np.sum(result, axis=1, keepdims=True)

    return np.log(result)


def official_predict_mask(im, net_scores, smooth=True):
    """``deploy/demo.py`` ``predict_mask`` after ``net.forward()``:
    ``net_scores`` is ``net.blobs['fc8-SEC'].data[0]``."""
    scores = np.transpose(net_scores, [1, 2, 0])
    d1, d2 = float(im.shape[0]), float(im.shape[1])

    scores_exp = np.exp(scores - np.max(scores, axis=2, keepdims=True))
    probs = scores_exp / np.sum(scores_exp, axis=2, keepdims=True)
    probs = nd.zoom(
        probs, (d1 / probs.shape[0], d2 / probs.shape[1], 1.0), order=1)

    eps = 0.00001
    probs[probs < eps] = eps

    if smooth:
        result = np.argmax(CRF(im, np.log(probs), scale_factor=1.0), axis=2)
    else:
        result = np.argmax(probs, axis=2)

    return result


# ------------------------------------------------------------- losses


def random_cues(generator, n, num_classes, h, w):
    """One-hot cues on about a third of the cells, at least one per image."""
    cls = torch.randint(0, num_classes, (n, h, w), generator=generator)
    keep = torch.rand((n, h, w), generator=generator) < 0.3
    keep[:, 0, 0] = True
    cues = torch.nn.functional.one_hot(cls, num_classes).permute(0, 3, 1, 2)
    return (cues * keep[:, None]).double()


def test_softmax_matches_official():
    logits = torch.randn(2, 5, 3, 4, dtype=torch.float64) * 8
    torch.testing.assert_close(sec_softmax(logits), official_softmax(logits))


def test_seed_loss_matches_official_value_and_gradient():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 6, 7, 5, dtype=torch.float64, generator=g) * 3
    cues = random_cues(g, 3, 6, 7, 5)
    ours_in = logits.clone().requires_grad_()
    theirs_in = logits.clone().requires_grad_()
    ours = seed_loss(sec_softmax(ours_in), cues)
    theirs = official_seed_loss(official_softmax(theirs_in), cues)
    torch.testing.assert_close(ours, theirs)
    ours.backward()
    theirs.backward()
    torch.testing.assert_close(ours_in.grad, theirs_in.grad)
    # Cells without a cue take no part.
    assert ours_in.grad[cues.sum(1, keepdim=True).expand_as(cues) == 0].abs(
    ).max() == 0


def test_seed_loss_image_without_cues_adds_zero():
    probs = sec_softmax(torch.randn(2, 3, 4, 4, dtype=torch.float64))
    cues = torch.zeros(2, 3, 4, 4, dtype=torch.float64)
    cues[0, 1, 2, 2] = 1
    loss = seed_loss(probs, cues)
    assert torch.isfinite(loss)
    torch.testing.assert_close(loss, -probs[0, 1, 2, 2].log() / 2)


def test_gwrp_is_official_sum_and_spans_max_to_mean():
    g = torch.Generator().manual_seed(1)
    maps = torch.rand(2, 3, 6, 5, dtype=torch.float64, generator=g)
    n = 30
    # The official ascending sort with weights q ** (n - 1 - i).
    ascending = torch.sort(maps.reshape(2, 3, n), dim=2).values
    weights = np.array([0.9**i for i in range(n - 1, -1, -1)])
    expected = (ascending * torch.from_numpy(weights)).sum(2) / weights.sum()
    torch.testing.assert_close(
        global_weighted_rank_pooling(maps, 0.9), expected)
    torch.testing.assert_close(
        global_weighted_rank_pooling(maps, 0.0), maps.flatten(2).max(2).values)
    torch.testing.assert_close(
        global_weighted_rank_pooling(maps, 1.0), maps.flatten(2).mean(2))


def test_gwrp_decay_keeps_the_weighted_fraction_of_the_image():
    assert gwrp_decay(0.996, 41 * 41, 41 * 41) == 0.996
    assert gwrp_decay(0.996, 256, None) == 0.996
    # The weight share of the top 15% of the cells is the same on 16x16 as
    # SEC's on 41x41.
    for decay in (0.996, 0.999):
        shares = []
        for n in (41 * 41, 16 * 16):
            w = gwrp_decay(decay, n, 41 * 41)**np.arange(n)
            shares.append(w[:int(0.15 * n)].sum() / w.sum())
        assert abs(shares[0] - shares[1]) < 0.01


def test_expand_loss_matches_official_value_and_gradient():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(3, 21, 41, 41, dtype=torch.float64, generator=g) * 4
    labels = torch.zeros(3, 20, dtype=torch.float64)
    labels[0, [2, 7]] = 1
    labels[1, 14] = 1
    labels[2, [0, 5, 19]] = 1
    stat = torch.cat([torch.ones(3, 1), labels], 1)[:, None, None, :]
    ours_in = logits.clone().requires_grad_()
    theirs_in = logits.clone().requires_grad_()
    ours = expand_loss(
        sec_softmax(ours_in), labels, gwrp_decay(0.996, 41 * 41, 41 * 41),
        gwrp_decay(0.999, 41 * 41, 41 * 41))
    theirs = official_expand_loss(official_softmax(theirs_in), stat)
    torch.testing.assert_close(ours, theirs)
    ours.backward()
    theirs.backward()
    torch.testing.assert_close(ours_in.grad, theirs_in.grad)


def test_expand_loss_absent_classes_push_only_their_maximum():
    probs = sec_softmax(torch.randn(1, 4, 5, 5, dtype=torch.float64))
    probs.requires_grad_()
    labels = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    expand_loss(probs, labels).backward()
    for absent in (2, 3):
        grad = probs.grad[0, absent].flatten()
        top = probs[0, absent].flatten().argmax()
        assert grad[top] > 0
        assert (grad[torch.arange(25) != top] == 0).all()
    # Every image has background: it gets a GWRP gradient everywhere.
    assert (probs.grad[0, 0] < 0).all()


def test_expand_loss_without_absent_or_present_class_is_finite():
    probs = sec_softmax(torch.randn(2, 3, 4, 4, dtype=torch.float64))
    labels = torch.tensor([[1.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    assert torch.isfinite(expand_loss(probs, labels))


def test_constrain_loss_matches_official_value_and_gradient():
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 4, 6, 5, dtype=torch.float64, generator=g)
    smooth = official_softmax(
        torch.randn(2, 4, 6, 5, dtype=torch.float64, generator=g) * 3)
    ours_in = logits.clone().requires_grad_()
    theirs_in = logits.clone().requires_grad_()
    ours = constrain_loss(sec_softmax(ours_in), smooth)
    theirs = official_constrain_loss(official_softmax(theirs_in), smooth.log())
    torch.testing.assert_close(ours, theirs)
    ours.backward()
    theirs.backward()
    torch.testing.assert_close(ours_in.grad, theirs_in.grad)
    # Zero at Q = P.
    probs = sec_softmax(logits)
    torch.testing.assert_close(
        constrain_loss(probs, probs), torch.zeros((), dtype=torch.float64))


def test_crf_layer_matches_official_on_the_shrunk_image():
    rng = np.random.default_rng(4)
    # Two regions of different colours so that the CRF has edges to use.
    images = np.zeros((2, 3, 321, 321))
    images[:, :, :, :160] = rng.integers(0, 256, (2, 3, 1, 1))
    images[:, :, :, 160:] = rng.integers(0, 256, (2, 3, 1, 1))
    images += rng.normal(0, 10, images.shape)
    images = np.clip(np.round(images), 0, 255)
    fc8 = rng.normal(0, 2, (2, 5, 41, 41)).astype(np.float32)
    mean_pixel = np.array([104.0, 117.0, 123.0])
    expected = official_crf_layer(fc8,
                                  images - mean_pixel[None, :, None, None])
    ours = crf_posteriors(
        torch.from_numpy(fc8), torch.from_numpy(images), scale_factor=12.0)
    assert ours.dtype == torch.float32
    np.testing.assert_allclose(
        ours.log().numpy(), expected, atol=1e-4, rtol=1e-4)
    # The posterior smooths: it agrees with itself more across cells than
    # the raw scores do.
    assert (ours.argmax(1)[:, :, 1:] == ours.argmax(1)[:, :, :-1]).float(
    ).mean() > (torch.from_numpy(fc8).argmax(1)[:, :, 1:] ==
                torch.from_numpy(fc8).argmax(1)[:, :, :-1]).float().mean()


def head_samples(cue_maps, img_labels):
    samples = []
    for cue, labels in zip(cue_maps, img_labels):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=cue[None])
        sample.gt_img_labels = torch.tensor(labels, dtype=torch.float32)
        samples.append(sample)
    return samples


def test_head_loss_is_the_official_sum():
    """SECHead's three losses from label-map cues and image labels equal the
    official layers fed with the same cues, labels and CRF output."""
    torch.manual_seed(5)
    num_classes, size = 4, 8
    head = MODELS.build(
        dict(
            type='SECHead',
            in_channels=8,
            channels=8,
            num_classes=num_classes,
            dilation=2,
            decay_positions=None))
    logits = torch.randn(2, num_classes, size, size)
    # Cues at twice the output size: the head shrinks them by nearest.
    cue_maps = torch.full((2, 2 * size, 2 * size), 255, dtype=torch.long)
    cue_maps[0, :6, :6] = 2
    cue_maps[0, 10:, 10:] = 0
    cue_maps[1, 4:12, 4:12] = 1
    cue_maps[1, :2, :] = 0
    img_labels = [[0, 1, 0], [1, 0, 1]]
    images = torch.randint(0, 256, (2, 3, 4 * size, 4 * size)).float()
    logits_in = logits.double().requires_grad_()
    losses = head.loss_by_feat(
        logits_in, head_samples(cue_maps, img_labels), images)
    assert set(losses) == {'loss_seed', 'loss_expand', 'loss_constrain'}
    ours = sum(losses.values())

    expected_in = logits.double().requires_grad_()
    probs = official_softmax(expected_in)
    small = cue_maps[:, ::2, ::2]
    cues = torch.zeros(2, num_classes, size, size, dtype=torch.float64)
    for c in range(num_classes):
        cues[:, c] = (small == c).double()
    crf = crf_posteriors(logits, images, 12.0).double()
    labels = torch.tensor(img_labels, dtype=torch.float64)
    fg_pooled = global_weighted_rank_pooling(probs[:, 1:], 0.996)
    bg_pooled = global_weighted_rank_pooling(probs[:, :1], 0.999)[:, 0]
    fg_max = probs[:, 1:].flatten(2).max(2).values
    # The official expansion loss's three terms (its layer is fixed to
    # 20 classes on 41x41 cells; test_expand_loss_matches_official checks
    # the layer itself).
    expand = (-torch.mean((labels * fg_pooled.log()).sum(1) / labels.sum(1)) -
              torch.mean(
                  ((1 - labels) * torch.log(1 - fg_max)).sum(1) /
                  (1 - labels).sum(1)) - torch.mean(bg_pooled.log()))
    expected = (
        official_seed_loss(probs, cues) + expand +
        official_constrain_loss(probs, crf.log()))
    torch.testing.assert_close(ours, expected)
    ours.backward()
    expected.backward()
    torch.testing.assert_close(logits_in.grad, expected_in.grad)


def test_head_rejects_labels_outside_the_classes():
    head = MODELS.build(
        dict(type='SECHead', in_channels=4, channels=4, num_classes=3))
    cue_maps = torch.zeros(1, 8, 8, dtype=torch.long)
    cue_maps[0, 0, 0] = 7
    with pytest.raises(ValueError, match='cue labels'):
        head.loss_by_feat(
            torch.randn(1, 3, 8, 8), head_samples(cue_maps, [[1, 0]]),
            torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match='image-level labels'):
        head.loss_by_feat(
            torch.randn(1, 3, 8, 8), head_samples(cue_maps * 0, [[1, 0, 0]]),
            torch.zeros(1, 3, 8, 8))


# ---------------------------------------------------------- the models


def tiny_model_options(num_classes=TINY_CLASSES + 1):
    return {
        'model.backbone.stem_channels': 8,
        'model.backbone.base_channels': 8,
        'model.decode_head.in_channels': 64,
        'model.decode_head.channels': 16,
        'model.decode_head.num_classes': num_classes,
    }


def build(config, options=None):
    cfg = load_config(config, options)
    cfg.model.backbone.init_cfg = None
    return MODELS.build(cfg.model), cfg


def test_voc_model_builds_with_sec_output_size_and_solver():
    model, cfg = build(VOC_CONFIG)
    head = model.decode_head
    assert (head.fc6.dilation, head.fc6.out_channels) == ((12, 12), 1024)
    assert head.conv_seg.out_channels == 21
    assert cfg.train_dataloader.batch_size == 15
    assert cfg.sec_cue_cfg['fg_threshold'] == 0.2
    model.eval()
    with torch.no_grad():
        logits = model._forward(torch.zeros(1, 3, 321, 321))
    # SEC's 41x41 output for a 321x321 input.
    assert logits.shape == (1, 21, 41, 41)
    # SEC's lr multipliers: fc8 10x (bias 20x, no decay), biases 2x.
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = {
        id(p): g
        for g in optim.optimizer.param_groups for p in g['params']
    }
    fc8_w = groups[id(head.conv_seg.weight)]
    fc8_b = groups[id(head.conv_seg.bias)]
    fc6_b = groups[id(head.fc6.bias)]
    fc6_w = groups[id(head.fc6.weight)]
    assert fc8_w['lr'] == pytest.approx(0.01)
    assert (fc8_b['lr'], fc8_b['weight_decay']) == (pytest.approx(0.02), 0)
    assert (fc6_b['lr'], fc6_b['weight_decay']) == (pytest.approx(0.002), 0)
    assert fc6_w['lr'] == pytest.approx(0.001)
    assert fc6_w['weight_decay'] == pytest.approx(0.0005)


def test_demo_model_builds_and_trains_a_step():
    model, cfg = build(DEMO_CONFIG)
    assert cfg.sec_cue_cfg['mode'] == 'confident'
    inputs = torch.randn(2, 3, 128, 128)
    cue_maps = torch.full((2, 128, 128), 255, dtype=torch.long)
    cue_maps[:, 40:80, 40:80] = 3
    cue_maps[:, :10] = 0
    samples = head_samples(cue_maps, [[0, 0, 1, 0, 0], [0, 0, 1, 1, 0]])
    losses = model.loss(inputs, samples)
    assert set(losses) == {
        'decode.loss_seed', 'decode.loss_expand', 'decode.loss_constrain'
    }
    sum(losses.values()).backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0


def test_unnormalize_inverts_the_data_preprocessor():
    model, _ = build(DEMO_CONFIG, tiny_model_options())
    image = torch.randint(0, 256, (3, 20, 24), dtype=torch.uint8)
    data = model.data_preprocessor(
        dict(inputs=[image], data_samples=[SegDataSample()]), training=False)
    torch.testing.assert_close(
        model.unnormalize(data['inputs'])[0],
        image.flip(0).float(),  # bgr_to_rgb
        atol=1e-3,
        rtol=0)


def sample_for(ori_shape, img_shape, img_path=None, labels=(1, 0, 0)):
    meta = dict(ori_shape=ori_shape, img_shape=img_shape)
    if img_path is not None:
        meta['img_path'] = img_path
    sample = SegDataSample(metainfo=meta)
    sample.gt_img_labels = torch.tensor(labels, dtype=torch.float32)
    return sample


@pytest.mark.parametrize('resized', [False, True])
def test_predict_matches_official_demo(tmp_path, resized):
    """SEC's test-time softmax, resize, floor, CRF and argmax: on the
    un-normalised input when it is at the original size, else on the image
    re-read from its file."""
    torch.manual_seed(6)
    model, _ = build(DEMO_CONFIG, tiny_model_options())
    model.eval()
    rng = np.random.default_rng(6)
    image = np.zeros((40, 48, 3), dtype=np.uint8)
    image[:, :24] = rng.integers(0, 256, 3)
    image[:, 24:] = rng.integers(0, 256, 3)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0,
                    255).astype(np.uint8)
    path = str(tmp_path / 'img.png')
    Image.fromarray(image).save(path)
    net_image = np.array(Image.fromarray(image).resize(
        (32, 32), Image.BILINEAR)) if resized else image
    data = model.data_preprocessor(
        dict(
            inputs=[torch.from_numpy(net_image[..., ::-1].copy()).permute(
                2, 0, 1)],
            data_samples=[
                sample_for((40, 48), net_image.shape[:2],
                           path if resized else None)
            ]),
        training=False)
    # Network scores whose class border lies off the image's colour border
    # and is noisy, so that the CRF has something to correct.
    h, w = -(-net_image.shape[0] // 8), -(-net_image.shape[1] // 8)
    logits = torch.from_numpy(rng.normal(0, 1.5, (1, 4, h, w))).float()
    logits[:, 1, :, :w // 2 + 1] += 3
    logits[:, 2, :, w // 2 + 1:] += 3
    model.decode_head.forward = lambda feats: logits
    scores = logits[0].numpy()
    expected = official_predict_mask(image, scores.astype(np.float64))
    sample = model.predict(data['inputs'], data['data_samples'])[0]
    label = sample.pred_sem_seg.data[0].numpy()
    assert label.shape == (40, 48)
    assert (label == expected).mean() > 0.999
    without_crf = official_predict_mask(image, scores.astype(np.float64),
                                        smooth=False)
    assert (without_crf != expected).any(), 'the CRF should change labels'


def test_predict_can_keep_to_the_image_classes():
    torch.manual_seed(7)
    model, _ = build(DEMO_CONFIG, {
        **tiny_model_options(), 'model.test_cfg.restrict_to_image_labels':
        True, 'model.test_cfg.crf': False
    })
    model.eval()
    inputs = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        model.decode_head.conv_seg.bias.copy_(torch.tensor([0., 0, 9, 0]))
    sample = model.predict(inputs,
                           [sample_for((32, 32), (32, 32), labels=(1, 0, 1))])
    assert set(sample[0].pred_sem_seg.data.unique().tolist()) <= {0, 1, 3}


# ------------------------------------------------------------ the driver


def write_cams_from_masks(data_root, cam_dir):
    """CAM files that peak in each object and fade to 0 at its edge (the
    distance to the edge, normalised), as a stand-in for a classifier."""
    os.makedirs(cam_dir, exist_ok=True)
    for img_id in read_split_ids(split_file('train', data_root)):
        mask = load_label_png(
            osp.join(data_root, 'SegmentationClass', img_id + '.png'))
        keys = [k for k in range(TINY_CLASSES) if (mask == k + 1).any()]
        maps = []
        for k in keys:
            dist = nd.distance_transform_edt(mask == k + 1)
            maps.append(dist / dist.max())
        save_cam_file(
            osp.join(cam_dir, img_id + '.npy'), keys,
            np.stack(maps).astype(np.float32))


def tiny_sec_options(max_iters):
    options = tiny_model_options()
    options.update({
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': max_iters,
        'param_scheduler.0.end': max_iters,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 10,
        'train_dataloader.batch_size': 8,
        # SEC's test-time CRF (tuned for 321-pixel images) wipes out
        # the tiny network's weak foreground on the 128-pixel images.
        'model.test_cfg.crf': False,
    })
    # The demo config has no validation loop.
    options.update({
        k: v
        for k, v in no_worker_options().items()
        if not k.startswith('val_')
    })
    return options


def run_sec_seeds(data_root, root, cam_dir, cfg_options, load_from):
    """SEC's seed stages of its demo pipeline config on the CAM files of
    ``cam_dir``, the network starting from ``load_from``: its summary."""
    cfg = build_pipeline_config(method='sec', cfg_options=cfg_options)
    cfg.stages['cam/cams'] = dict(type='CAMFolder', cam_dir=cam_dir)
    # The stages the SEC composite makes, changed by key.
    cfg.stages['sec/train'] = dict(
        init_from=None, cfg_options=dict(load_from=load_from))
    path = osp.join(root, 'sec_pipeline.py')
    os.makedirs(root, exist_ok=True)
    cfg.dump(path)
    return run_pipeline(data_root, root, config=path, num_workers=0,
                        targets=['sec/summary'])


def test_run_sec_seeds_end_to_end(tiny_data, tiny_checkpoint, tmp_path):
    """Cues from CAM-like maps of the true objects, the network from the
    tiny CAM classifier's weights (as the demo starts from the demo CAM
    classifier), its labels of the train split and their mIoU."""
    cam_dir = str(tmp_path / 'cams')
    write_cams_from_masks(tiny_data, cam_dir)
    root = str(tmp_path / 'run')
    work_dir = osp.join(root, 'sec')
    summary = run_sec_seeds(tiny_data, root, cam_dir,
                            tiny_sec_options(MAX_ITERS), tiny_checkpoint[1])
    assert summary['load_from'] == tiny_checkpoint[1]
    with open(osp.join(work_dir, 'summary.json')) as f:
        assert json.load(f) == json.loads(
            json.dumps(relative_paths(summary, work_dir)))
    for key in ('seed_threshold', 'classifier_map', 'background_miou'):
        assert summary[key] is None
    assert summary['seconds_per_iter'] > 0
    assert osp.isfile(summary['checkpoint'])
    ids = read_split_ids(split_file('train', tiny_data))
    assert sorted(n for n in os.listdir(summary['label_dir'])
                  if n.endswith('.png')) == sorted(i + '.png' for i in ids)
    cue = load_label_png(osp.join(work_dir, 'cues', ids[0] + '.png'))
    assert 255 in cue and 0 in cue

    # All-background labels, the baseline the network must beat.
    background_dir = str(tmp_path / 'background')
    for img_id in ids:
        mask = load_label_png(
            osp.join(tiny_data, 'SegmentationClass', img_id + '.png'))
        save_palette_png(
            np.zeros_like(mask), osp.join(background_dir, img_id + '.png'))
    baseline = evaluate_pseudo_labels(
        background_dir, tiny_data, 'train', progress=False)['miou']
    # Measured: 28.5 against 19.4 (300 steps); collapse to background
    # gives the baseline.
    assert summary['seed_miou'] > baseline + 5, (summary, baseline)

    # A rerun resumes: nothing is trained or predicted again.
    again = run_sec_seeds(tiny_data, root, cam_dir,
                          tiny_sec_options(MAX_ITERS), tiny_checkpoint[1])
    assert again == summary
