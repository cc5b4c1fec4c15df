import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.structures import PixelData
from mmseg.registry import MODELS, TRANSFORMS
from mmseg.structures import SegDataSample
from PIL import Image

from mmwsss.apis import load_config
from mmwsss.datasets import render_demo_image
from mmwsss.models.segmentors.irn import resnet_levels
from mmwsss.models.utils.boundary_affinity import nearest_resize_label
from mmwsss.utils import save_palette_png
from conftest import REPO_ROOT, tiny_irn_options

IRN_DEMO = osp.join(REPO_ROOT, 'configs', 'demo', 'irn_r18_demo.py')
IRN_VOC = osp.join(REPO_ROOT, 'configs', 'irn', 'irn_r50_voc.py')
IRN_RECAM = osp.join(REPO_ROOT, 'configs', 'irn', 'irn_r50_voc_recam.py')


# --- The official training loss, re-typed from jiwoon-ahn/irn -------------
# misc/indexing.py PathIndex, voc12/dataloader.py GetAffinityLabelFromIndices
# and pil_rescale, net/resnet50_irn.py AffinityDisplacementLoss.to_affinity
# and the affinity lines of step/train_irn.py.


class OfficialPathIndex:

    def __init__(self, radius, default_size):
        self.radius = radius
        self.radius_floor = int(np.ceil(radius) - 1)
        self.search_paths, self.search_dst = self.get_search_paths_dst(radius)
        self.path_indices, self.src_indices, self.dst_indices = \
            self.get_path_indices(default_size)

    def get_search_paths_dst(self, max_radius):
        by_length = [[] for _ in range(max_radius * 4)]
        search_dirs = [(0, x) for x in range(1, max_radius)]
        for y in range(1, max_radius):
            for x in range(-max_radius + 1, max_radius):
                if x * x + y * y < max_radius**2:
                    search_dirs.append((y, x))
        for d in search_dirs:
            length_sq = d[0]**2 + d[1]**2
            coords = []
            min_y, max_y = sorted((0, d[0]))
            min_x, max_x = sorted((0, d[1]))
            for y in range(min_y, max_y + 1):
                for x in range(min_x, max_x + 1):
                    if (d[0] * x - d[1] * y)**2 / length_sq < 1:
                        coords.append([y, x])
            coords.sort(key=lambda c: -abs(c[0]) - abs(c[1]))
            by_length[len(coords)].append(coords)
        paths = [np.asarray(v) for v in by_length if v]
        return paths, np.concatenate([p[:, 0] for p in paths], axis=0)

    def get_path_indices(self, size):
        full = np.reshape(np.arange(size[0] * size[1], dtype=np.int64), size)
        rf = self.radius_floor
        ch, cw = size[0] - rf, size[1] - 2 * rf
        path_indices = []
        for paths in self.search_paths:
            per_path = []
            for p in paths:
                per_path.append([
                    np.reshape(full[dy:dy + ch, rf + dx:rf + dx + cw], [-1])
                    for dy, dx in p
                ])
            path_indices.append(np.array(per_path))
        src = np.reshape(full[:ch, rf:rf + cw], -1)
        dst = np.concatenate([p[:, 0] for p in path_indices], axis=0)
        return path_indices, src, dst


def official_affinity_labels(segm_map, indices_from, indices_to):
    flat = np.reshape(segm_map, -1)
    label_from = np.expand_dims(flat[indices_from], axis=0)
    label_to = flat[indices_to]
    valid = np.logical_and(np.less(label_from, 21), np.less(label_to, 21))
    equal = np.equal(label_from, label_to)
    pos = np.logical_and(equal, valid)
    bg_pos = np.logical_and(pos, np.equal(label_from, 0)).astype(np.float32)
    fg_pos = np.logical_and(pos, np.greater(label_from, 0)).astype(np.float32)
    neg = np.logical_and(np.logical_not(equal), valid).astype(np.float32)
    return [torch.from_numpy(a) for a in (bg_pos, fg_pos, neg)]


def official_pil_rescale(label, scale):
    height, width = label.shape[:2]
    size = (int(np.round(height * scale)), int(np.round(width * scale)))
    return np.asarray(Image.fromarray(label).resize(size[::-1], Image.NEAREST))


def official_to_affinity(edge, path_indices):
    aff_list = []
    edge = edge.view(edge.size(0), -1)
    for ind in path_indices:
        ind = torch.from_numpy(ind)
        dist = torch.index_select(edge, dim=-1, index=ind.view(-1))
        dist = dist.view(dist.size(0), ind.size(0), ind.size(1), ind.size(2))
        aff_list.append(
            torch.squeeze(1 - F.max_pool2d(dist, (dist.size(2), 1)), dim=2))
    return torch.cat(aff_list, dim=1)


def official_boundary_loss(edge_logits, labels):
    """``edge_logits`` [B, 1, h, w]; ``labels`` uint8 [B, 4h, 4w]."""
    size = edge_logits.shape[-2:]
    path_index = OfficialPathIndex(radius=10, default_size=size)
    packs = [
        official_affinity_labels(
            official_pil_rescale(label, 0.25), path_index.src_indices,
            path_index.dst_indices) for label in labels
    ]
    bg_pos_label, fg_pos_label, neg_label = (
        torch.stack([p[i] for p in packs]) for i in range(3))
    aff = official_to_affinity(
        torch.sigmoid(edge_logits), path_index.path_indices)
    pos_aff_loss = (-1) * torch.log(aff + 1e-5)
    neg_aff_loss = (-1) * torch.log(1. + 1e-5 - aff)
    bg_pos_aff_loss = torch.sum(bg_pos_label * pos_aff_loss) / (
        torch.sum(bg_pos_label) + 1e-5)
    fg_pos_aff_loss = torch.sum(fg_pos_label * pos_aff_loss) / (
        torch.sum(fg_pos_label) + 1e-5)
    pos_aff_loss = bg_pos_aff_loss / 2 + fg_pos_aff_loss / 2
    neg_aff_loss = torch.sum(neg_label * neg_aff_loss) / (
        torch.sum(neg_label) + 1e-5)
    return (pos_aff_loss + neg_aff_loss) / 2


# --- Helpers ----------------------------------------------------------------


def samples_with_labels(labels):
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=torch.as_tensor(label, dtype=torch.long)[None])
        samples.append(sample)
    return samples


def random_ir_labels(rng, shape, num_classes=4):
    """Blocky class maps with unsure (255) patches, like IR labels."""
    batch, height, width = shape
    coarse = rng.integers(0, num_classes, (batch, height // 8, width // 8))
    labels = np.kron(coarse, np.ones((1, 8, 8), dtype=np.int64))
    labels = labels.astype(np.uint8)
    labels[rng.random(shape) < 0.2] = 255
    return labels


def tiny_irn(backbone_type='ResNetV1c', **test_cfg):
    """A narrow IRN boundary network; ``test_cfg`` over a 64 crop."""
    return MODELS.build(
        dict(
            type='IRNBoundaryNet',
            backbone=dict(
                type=backbone_type,
                depth=18,
                stem_channels=8,
                base_channels=8,
                strides=(1, 2, 2, 1),
                out_indices=(0, 1, 2, 3),
                norm_eval=True),
            boundary_head=dict(
                type='IRNBoundaryHead', in_channels=(8, 8, 16, 32, 64)),
            test_cfg=dict(dict(crop_size=64), **test_cfg)))


# --- (a) the loss equals the official one -----------------------------------


def test_boundary_loss_matches_official_code():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = random_ir_labels(rng, (2, 96, 112))
    labels[0, :, :40][labels[0, :, :40] != 255] = 0
    labels[1, 50:60, 30:90] = 20  # the largest valid VOC class
    logits = torch.randn(2, 1, 24, 28) * 2
    head = MODELS.build(dict(type='IRNBoundaryHead'))

    ours = logits.clone().requires_grad_()
    losses = head.loss_by_feat(ours, samples_with_labels(labels))
    assert set(losses) == {'loss_bg_pos', 'loss_fg_pos', 'loss_neg'}
    total = sum(losses.values())
    official = logits.clone().requires_grad_()
    expected = official_boundary_loss(official, labels)
    torch.testing.assert_close(total, expected, rtol=1e-5, atol=0)
    total.backward()
    expected.backward()
    torch.testing.assert_close(ours.grad, official.grad, rtol=1e-4, atol=1e-9)


def test_boundary_loss_rejects_labels_beyond_classes():
    head = MODELS.build(dict(type='IRNBoundaryHead', num_classes=4))
    labels = np.zeros((1, 96, 112), dtype=np.uint8)
    labels[0, 0, 0] = 7
    with pytest.raises(ValueError, match='num_classes=4'):
        head.loss_by_feat(
            torch.zeros(1, 1, 24, 28), samples_with_labels(labels))


# --- (b) the network ---------------------------------------------------------


def test_boundary_net_shapes_frozen_backbone_and_bn():
    torch.manual_seed(0)
    model = tiny_irn()
    assert model.boundary_head.scale_factors == (1, 1, 2, 4, 4)
    model.train()
    backbone_bn = [
        m for m in model.backbone.modules()
        if isinstance(m, torch.nn.BatchNorm2d)
    ]
    assert backbone_bn and not any(m.training for m in backbone_bn)
    assert model.boundary_head.training
    before = {k: v.clone() for k, v in model.backbone.state_dict().items()}

    inputs = torch.randn(2, 3, 96, 96)
    levels = model.extract_feat(inputs)
    assert [tuple(x.shape[-2:]) for x in levels] == [(24, 24), (24, 24),
                                                    (12, 12), (6, 6), (6, 6)]
    assert not any(x.requires_grad for x in levels)
    assert model._forward(inputs).shape == (2, 1, 24, 24)

    labels = random_ir_labels(np.random.default_rng(1), (2, 96, 96))
    losses = model.loss(inputs, samples_with_labels(labels))
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
    assert all(not p.requires_grad for p in model.backbone.parameters())
    assert model.boundary_head.boundary_conv.weight.grad.abs().sum() > 0
    assert all(
        p.grad is not None and p.grad.abs().sum() > 0
        for p in model.boundary_head.reductions.parameters())
    # BN statistics did not move in train mode.
    for key, value in model.backbone.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_resnet_levels_match_backbone_stages():
    torch.manual_seed(0)
    model = tiny_irn('ResNet').eval()  # torchvision layout, no deep stem
    inputs = torch.randn(1, 3, 48, 40)
    levels = resnet_levels(model.backbone, inputs)
    stages = model.backbone(inputs)
    assert len(levels) == 5 and levels[0].shape == (1, 8, 12, 10)
    for level, stage in zip(levels[1:], stages):
        torch.testing.assert_close(level, stage)


def official_edge(model, image, crop_size, stride=4):
    """``EdgeDisplacement.forward`` on the pack of an image and its flip."""
    x = torch.cat([image, image.flip(-1)])
    feat_size = (x.size(2) - 1) // stride + 1, (x.size(3) - 1) // stride + 1
    x = F.pad(x, [0, crop_size - x.size(3), 0, crop_size - x.size(2)])
    edge_out = model._forward(x)[..., :feat_size[0], :feat_size[1]]
    return torch.sigmoid(edge_out[0] / 2 + edge_out[1].flip(-1) / 2)


def test_predict_boundary_as_edge_displacement():
    torch.manual_seed(0)
    model = tiny_irn().eval()
    image = torch.randn(1, 3, 37, 50)
    with torch.no_grad():
        boundary = model.predict_boundary(image)
        assert boundary.shape == (1, 10, 13)
        torch.testing.assert_close(boundary, official_edge(model, image, 64))
        # Flip-averaged: the boundary of the mirrored image is mirrored.
        torch.testing.assert_close(
            model.predict_boundary(image.flip(-1)), boundary.flip(-1))
        # Larger than the crop: padded to a multiple of 16, not cropped.
        large = model.predict_boundary(torch.randn(2, 3, 70, 45))
        assert large.shape == (2, 18, 12)
        assert ((large >= 0) & (large <= 1)).all()

        samples = [
            SegDataSample(
                metainfo=dict(img_shape=(37, 50), ori_shape=(74, 100)))
        ]
        out = model.predict(F.pad(image, [0, 14, 0, 27]), samples)[0]
    assert out.seg_logits.data.shape == (1, 74, 100)
    assert out.pred_sem_seg.data.shape == (1, 74, 100)
    torch.testing.assert_close(out.pred_sem_seg.data,
                               (out.seg_logits.data > 0.5).long())


# --- (c) labels reach the boundary grid as PIL's NEAREST -----------------


@pytest.mark.parametrize('in_size,out_size', [((512, 512), (128, 128)),
                                              ((96, 112), (24, 28)),
                                              ((37, 50), (9, 12)),
                                              ((101, 77), (25, 19)),
                                              ((23, 30), (6, 8)),
                                              ((333, 500), (83, 125))])
def test_label_downscale_is_pil_nearest(in_size, out_size):
    rng = np.random.default_rng(sum(in_size))
    label = rng.integers(0, 256, in_size).astype(np.uint8)
    expected = np.asarray(
        Image.fromarray(label).resize(out_size[::-1], Image.NEAREST))
    ours = nearest_resize_label(torch.from_numpy(label), out_size)
    np.testing.assert_array_equal(ours.numpy(), expected)
    if in_size == (512, 512):
        np.testing.assert_array_equal(expected, label[2::4, 2::4])


# --- (d) RandomRescale ------------------------------------------------------


def test_random_rescale_as_irn_random_scale():
    transform = TRANSFORMS.build(
        dict(type='RandomRescale', scale_range=(0.5, 1.5)))
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (45, 61, 3)).astype(np.uint8)
    label = rng.integers(0, 4, (45, 61)).astype(np.uint8)
    for seed in range(6):
        np.random.seed(seed)
        factor = 0.5 + np.random.random() * 1.0
        size = (int(np.round(45 * factor)), int(np.round(61 * factor)))
        np.random.seed(seed)
        out = transform(
            dict(img=image, gt_seg_map=label, seg_fields=['gt_seg_map']))
        assert out['img_shape'] == size
        np.testing.assert_array_equal(
            out['img'],
            np.asarray(
                Image.fromarray(image).resize(size[::-1], Image.BICUBIC)))
        np.testing.assert_array_equal(
            out['gt_seg_map'],
            np.asarray(
                Image.fromarray(label).resize(size[::-1], Image.NEAREST)))
        assert out['scale_factor'] == pytest.approx(
            (size[1] / 61, size[0] / 45))
    with pytest.raises(ValueError, match='scale_range'):
        TRANSFORMS.build(dict(type='RandomRescale', scale_range=(1.5, 0.5)))


# --- (e) configs and a tiny training run -------------------------------------


def test_irn_configs():
    voc = Config.fromfile(IRN_VOC)
    assert voc.ir_label_cfg == dict(fg_threshold=0.30, bg_threshold=0.05)
    assert voc.random_walk_cfg == dict(
        beta=10, exp_times=8, radius=5, bg_threshold=0.25)
    assert voc.train_dataloader.batch_size == 32
    assert voc.train_cfg.max_epochs == 3
    assert voc.model.backbone.init_cfg.checkpoint == 'torchvision://resnet50'
    recam = Config.fromfile(IRN_RECAM)
    assert recam.ir_label_cfg == dict(fg_threshold=0.35, bg_threshold=0.10)
    assert recam.random_walk_cfg == dict(
        beta=10, exp_times=8, radius=5, bg_threshold=0.28)
    # Both networks build (MODELS.build loads no weights).
    for path in (IRN_VOC, IRN_DEMO):
        model = MODELS.build(Config.fromfile(path).model)
        assert type(model).__name__ == 'IRNBoundaryNet'
    assert model.boundary_head.scale_factors == (1, 1, 2, 4, 4)


def test_boundary_head_learns_demo_boundaries():
    torch.manual_seed(0)
    model = tiny_irn().train()
    rendered = [
        render_demo_image(seed, image_size=96, num_classes=3)
        for seed in range(2)
    ]
    images = torch.from_numpy(np.stack([r[0] for r in rendered]))
    images = (images.permute(0, 3, 1, 2).float() - 120.) / 60.
    samples = samples_with_labels(np.stack([r[1] for r in rendered]))
    optimizer = torch.optim.SGD(
        model.boundary_head.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = sum(model.loss(images, samples).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    # ln 2 is the loss of a constant boundary probability of 0.5.
    assert losses[-1] < np.log(2) - 0.05 < losses[0]


def write_ir_labels(data_root, out_dir, seed=0):
    """IR-label-like PNGs from the true masks: unsure (255) edges and
    patches."""
    rng = np.random.default_rng(seed)
    split = osp.join(data_root, 'ImageSets', 'Segmentation', 'train.txt')
    with open(split) as f:
        ids = f.read().split()
    for img_id in ids:
        mask = np.array(
            Image.open(
                osp.join(data_root, 'SegmentationClass', img_id + '.png')))
        coarse = rng.random((8, 8)) < 0.15
        unsure = np.kron(coarse, np.ones((16, 16), dtype=bool))
        mask[unsure[:mask.shape[0], :mask.shape[1]]] = 255
        save_palette_png(mask, osp.join(out_dir, img_id + '.png'))


def test_tiny_training_run_lowers_the_loss(tiny_data, tmp_path):
    label_dir = str(tmp_path / 'ir_labels')
    write_ir_labels(tiny_data, label_dir)
    max_epochs = 4
    options = tiny_irn_options(label_dir, max_epochs)
    cfg = load_config(
        IRN_DEMO, options, work_dir=str(tmp_path / 'work'),
        data_root=tiny_data)
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == max_epochs * 3 and np.isfinite(losses).all()
    # From a random frozen backbone a dozen steps only start to learn; the
    # boundary net learning on real features: see the test above.
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) - 0.02
    assert osp.isfile(tmp_path / 'work' / f'epoch_{max_epochs}.pth')
