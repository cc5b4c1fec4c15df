"""The stencil random walk against a literal re-implementation of the
official dense computation: IRN (Ahn, Cho, Kwak, CVPR 2019;
``misc/indexing.py``, ``step/make_sem_seg_labels.py``) and PSA (Ahn & Kwak,
CVPR 2018; ``tool/pyutils.py``, ``network/resnet38_aff.py``,
``infer_aff.py``), re-typed here on the CPU without calling the module
under test."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmwsss.models.utils.pair_geometry import search_directions
from mmwsss.pseudo_labels.random_walk import (boundary_affinities,
                                              feature_affinities,
                                              irn_label_scores,
                                              psa_label_scores, random_walk)

# ---------------------------------------------------------------------------
# IRN, misc/indexing.py (dense), on the CPU.


class OfficialPathIndex:

    def __init__(self, radius, default_size):
        self.radius = radius
        self.radius_floor = int(np.ceil(radius) - 1)
        self.search_paths, self.search_dst = self.get_search_paths_dst(
            self.radius)
        self.path_indices, self.src_indices, self.dst_indices = \
            self.get_path_indices(default_size)

    def get_search_paths_dst(self, max_radius):
        coord_indices_by_length = [[] for _ in range(max_radius * 4)]
        search_dirs = []
        for x in range(1, max_radius):
            search_dirs.append((0, x))
        for y in range(1, max_radius):
            for x in range(-max_radius + 1, max_radius):
                if x * x + y * y < max_radius**2:
                    search_dirs.append((y, x))
        for direction in search_dirs:
            length_sq = direction[0]**2 + direction[1]**2
            path_coords = []
            min_y, max_y = sorted((0, direction[0]))
            min_x, max_x = sorted((0, direction[1]))
            for y in range(min_y, max_y + 1):
                for x in range(min_x, max_x + 1):
                    dist_sq = (direction[0] * x -
                               direction[1] * y)**2 / length_sq
                    if dist_sq < 1:
                        path_coords.append([y, x])
            path_coords.sort(key=lambda c: -abs(c[0]) - abs(c[1]))
            coord_indices_by_length[len(path_coords)].append(path_coords)
        path_list_by_length = [
            np.asarray(v) for v in coord_indices_by_length if v
        ]
        path_destinations = np.concatenate(
            [p[:, 0] for p in path_list_by_length], axis=0)
        return path_list_by_length, path_destinations

    def get_path_indices(self, size):
        full_indices = np.reshape(
            np.arange(0, size[0] * size[1], dtype=np.int64), size)
        cropped_height = size[0] - self.radius_floor
        cropped_width = size[1] - 2 * self.radius_floor
        path_indices = []
        for paths in self.search_paths:
            path_indices_list = []
            for p in paths:
                coord_indices_list = []
                for dy, dx in p:
                    coord_indices = full_indices[
                        dy:dy + cropped_height,
                        self.radius_floor + dx:self.radius_floor + dx +
                        cropped_width]
                    coord_indices_list.append(np.reshape(coord_indices, -1))
                path_indices_list.append(coord_indices_list)
            path_indices.append(np.array(path_indices_list))
        src_indices = np.reshape(
            full_indices[:cropped_height,
                         self.radius_floor:self.radius_floor + cropped_width],
            -1)
        dst_indices = np.concatenate([p[:, 0] for p in path_indices], axis=0)
        return path_indices, src_indices, dst_indices


def official_edge_to_affinity(edge, paths_indices):
    aff_list = []
    edge = edge.view(edge.size(0), -1)
    for ind in paths_indices:
        ind = torch.from_numpy(ind)
        dist = torch.index_select(edge, dim=-1, index=ind.view(-1))
        dist = dist.view(dist.size(0), ind.size(0), ind.size(1), ind.size(2))
        aff = torch.squeeze(
            1 - F.max_pool2d(dist, (dist.size(2), 1)), dim=2)
        aff_list.append(aff)
    return torch.cat(aff_list, dim=1)


def official_sparse2dense(affinity_sparse, ind_from, ind_to, n_vertices):
    ind_from = torch.from_numpy(ind_from)
    ind_to = torch.from_numpy(ind_to)
    affinity_sparse = affinity_sparse.view(-1)
    ind_from = ind_from.repeat(ind_to.size(0)).view(-1)
    ind_to = ind_to.view(-1)
    indices = torch.stack([ind_from, ind_to])
    indices_tp = torch.stack([ind_to, ind_from])
    indices_id = torch.stack(
        [torch.arange(0, n_vertices), torch.arange(0, n_vertices)])
    return torch.sparse_coo_tensor(
        torch.cat([indices, indices_id, indices_tp], dim=1),
        torch.cat([affinity_sparse, torch.ones([n_vertices]),
                   affinity_sparse]),
        (n_vertices, n_vertices)).to_dense()


def official_transition_matrix(affinity_dense, beta, times):
    scaled_affinity = torch.pow(affinity_dense, beta)
    trans_mat = scaled_affinity / torch.sum(
        scaled_affinity, dim=0, keepdim=True)
    for _ in range(times):
        trans_mat = torch.matmul(trans_mat, trans_mat)
    return trans_mat


def official_irn_dense_affinity(edge, radius):
    """``propagate_to_edge`` up to the cropped dense affinity matrix."""
    height, width = edge.shape[-2:]
    hor_padded = width + radius * 2
    ver_padded = height + radius
    path_index = OfficialPathIndex(radius, (ver_padded, hor_padded))
    edge_padded = F.pad(edge, (radius, radius, 0, radius), value=1.0)
    sparse_aff = official_edge_to_affinity(
        torch.unsqueeze(edge_padded, 0), path_index.path_indices)
    dense_aff = official_sparse2dense(sparse_aff, path_index.src_indices,
                                      path_index.dst_indices,
                                      ver_padded * hor_padded)
    dense_aff = dense_aff.view(ver_padded, hor_padded, ver_padded,
                               hor_padded)
    dense_aff = dense_aff[:-radius, radius:-radius, :-radius, radius:-radius]
    return dense_aff.reshape(height * width, height * width)


def official_propagate_to_edge(x, edge, radius, beta, exp_times):
    height, width = x.shape[-2:]
    dense_aff = official_irn_dense_affinity(edge, radius)
    trans_mat = official_transition_matrix(dense_aff, beta, exp_times)
    x = x.view(-1, height, width) * (1 - edge)
    rw = torch.matmul(x.view(-1, height * width), trans_mat)
    return rw.view(rw.size(0), 1, height, width)


def official_irn_scores(cams, edge, image_size, beta, exp_times, radius):
    """``make_sem_seg_labels._work`` up to ``rw_up / max``."""
    rw = official_propagate_to_edge(cams, edge[None], radius, beta,
                                    exp_times)
    rw_up = F.interpolate(
        rw, scale_factor=4, mode='bilinear',
        align_corners=False)[..., 0, :image_size[0], :image_size[1]]
    return rw_up / torch.max(rw_up)


def irn_label(scores, bg_threshold=0.25):
    return torch.argmax(F.pad(scores, (0, 0, 0, 0, 1, 0),
                              value=bg_threshold), dim=0)


# ---------------------------------------------------------------------------
# PSA, tool/pyutils.py + network/resnet38_aff.py (to_dense) + infer_aff.py.


def official_get_indices_of_pairs(radius, size):
    search_dist = []
    for x in range(1, radius):
        search_dist.append((0, x))
    for y in range(1, radius):
        for x in range(-radius + 1, radius):
            if x * x + y * y < radius * radius:
                search_dist.append((y, x))
    radius_floor = radius - 1
    full_indices = np.reshape(
        np.arange(0, size[0] * size[1], dtype=np.int64), size)
    cropped_height = size[0] - radius_floor
    cropped_width = size[1] - 2 * radius_floor
    indices_from = np.reshape(
        full_indices[:-radius_floor, radius_floor:-radius_floor], [-1])
    indices_to_list = []
    for dy, dx in search_dist:
        indices_to = full_indices[dy:dy + cropped_height,
                                  radius_floor + dx:radius_floor + dx +
                                  cropped_width]
        indices_to_list.append(np.reshape(indices_to, [-1]))
    return indices_from, np.concatenate(indices_to_list, axis=0)


def official_psa_dense_affinity(features, radius):
    """``resnet38_aff.Net.forward(x, to_dense=True)`` after the backbone."""
    x = features[None]
    ind_from, ind_to = official_get_indices_of_pairs(
        radius, (x.size(2), x.size(3)))
    ind_from, ind_to = torch.from_numpy(ind_from), torch.from_numpy(ind_to)
    x = x.view(x.size(0), x.size(1), -1)
    ff = torch.index_select(x, dim=2, index=ind_from)
    ft = torch.index_select(x, dim=2, index=ind_to)
    ff = torch.unsqueeze(ff, dim=2)
    ft = ft.view(ft.size(0), ft.size(1), -1, ff.size(3))
    aff = torch.exp(-torch.mean(torch.abs(ft - ff), dim=1))
    aff = aff.view(-1)
    ind_from_exp = torch.unsqueeze(ind_from, dim=0).expand(
        ft.size(2), -1).contiguous().view(-1)
    indices = torch.stack([ind_from_exp, ind_to])
    indices_tp = torch.stack([ind_to, ind_from_exp])
    area = x.size(2)
    indices_id = torch.stack([torch.arange(0, area), torch.arange(0, area)])
    return torch.sparse_coo_tensor(
        torch.cat([indices, indices_id, indices_tp], dim=1),
        torch.cat([aff, torch.ones([area]), aff]), (area, area)).to_dense()


def official_psa_scores(cam_dict, features, image_size, alpha, beta, logt,
                        radius):
    """``infer_aff.py``: all 21 channels, background first; PyTorch >= 0.4
    ``nn.Upsample(mode='bilinear')`` is ``align_corners=False``."""
    height, width = image_size
    padded_size = (int(np.ceil(height / 8) * 8), int(np.ceil(width / 8) * 8))
    p2d = (0, padded_size[1] - width, 0, padded_size[0] - height)
    dheight, dwidth = padded_size[0] // 8, padded_size[1] // 8
    cam_full_arr = np.zeros((21, height, width), np.float32)
    for k, v in cam_dict.items():
        cam_full_arr[k + 1] = v
    cam_full_arr[0] = (1 - np.max(cam_full_arr[1:], 0))**alpha
    cam_full_arr = np.pad(cam_full_arr, ((0, 0), (0, p2d[3]), (0, p2d[1])),
                          mode='constant')
    aff_mat = torch.pow(official_psa_dense_affinity(features, radius), beta)
    trans_mat = aff_mat / torch.sum(aff_mat, dim=0, keepdim=True)
    for _ in range(logt):
        trans_mat = torch.matmul(trans_mat, trans_mat)
    cam_full_arr = F.avg_pool2d(torch.from_numpy(cam_full_arr), 8, 8)
    cam_rw = torch.matmul(cam_full_arr.view(21, -1), trans_mat)
    cam_rw = cam_rw.view(1, 21, dheight, dwidth)
    cam_rw = F.interpolate(
        cam_rw, padded_size, mode='bilinear', align_corners=False)
    return cam_rw[0, :, :height, :width]


# ---------------------------------------------------------------------------


def dense_from_forward(affinities, radius):
    """The symmetric ``N x N`` matrix of forward affinities ``[D, h, w]``,
    ones on the diagonal, written pair by pair."""
    _, height, width = affinities.shape
    dense = torch.eye(height * width)
    for k, (dy, dx) in enumerate(search_directions(radius)):
        for y in range(height):
            for x in range(width):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    i, j = y * width + x, (y + dy) * width + x + dx
                    dense[i, j] = dense[j, i] = affinities[k, y, x]
                else:
                    assert affinities[k, y, x] == 0
    return dense


def random_boundary(height, width, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.sigmoid(torch.randn(height, width, generator=generator))


def random_cams(n, height, width, seed):
    generator = torch.Generator().manual_seed(seed + 1000)
    return torch.rand(n, height, width, generator=generator)


@pytest.mark.parametrize('size,radius', [((9, 13), 5), ((12, 7), 5),
                                         ((8, 10), 3)])
def test_boundary_affinities_equal_official(size, radius):
    boundary = random_boundary(*size, seed=size[0])
    ours = boundary_affinities(boundary, radius)
    assert ours.shape == (len(search_directions(radius)), *size)
    official = official_irn_dense_affinity(boundary[None], radius)
    # Bit-exact: the same max and subtraction on the same values.
    assert torch.equal(dense_from_forward(ours, radius), official)


@pytest.mark.parametrize('size,radius', [((9, 13), 5), ((7, 12), 5),
                                         ((8, 10), 3)])
def test_feature_affinities_equal_official(size, radius):
    generator = torch.Generator().manual_seed(3)
    features = torch.randn(6, *size, generator=generator)
    ours = feature_affinities(features, radius)
    official = official_psa_dense_affinity(features, radius)
    torch.testing.assert_close(
        dense_from_forward(ours, radius), official, rtol=1e-6, atol=1e-7)
    # The window matters: without it the border pairs are kept.
    everywhere = feature_affinities(features, radius, psa_window=False)
    assert (everywhere > ours).any()
    torch.testing.assert_close(
        dense_from_forward(everywhere, radius).diagonal(), torch.ones(
            size[0] * size[1]))


def test_feature_affinities_tiny_grid_has_no_pairs():
    features = torch.randn(4, 3, 5)
    assert not feature_affinities(features, 5).any()
    assert feature_affinities(features, 5, psa_window=False).any()


@pytest.mark.parametrize('steps', [1, 3, 16, 256])
def test_random_walk_equals_dense_power(steps):
    radius, beta = 5, 10.
    boundary = random_boundary(9, 13, seed=7)
    affinities = boundary_affinities(boundary, radius)
    x = random_cams(3, 9, 13, seed=7)
    walk = random_walk(x, affinities, radius, beta, steps)
    scaled = dense_from_forward(affinities, radius).pow(beta)
    trans_mat = scaled / scaled.sum(dim=0, keepdim=True)
    expected = x.view(3, -1).double() @ torch.linalg.matrix_power(
        trans_mat.double(), steps)
    torch.testing.assert_close(
        walk, expected.float().view(3, 9, 13), rtol=1e-4, atol=1e-6)


def test_random_walk_ignores_pairs_off_the_grid():
    radius = 3
    affinities = boundary_affinities(random_boundary(6, 8, seed=1), radius)
    x = random_cams(2, 6, 8, seed=1)
    noisy = affinities.clone()
    # Directions going down (all but the first radius - 1) leave the grid
    # from the bottom row.
    noisy[radius - 1:, -1, :] = 0.9
    noisy[0, :, -1] = 0.9  # (0, 1) leaves it from the right
    torch.testing.assert_close(
        random_walk(x, noisy, radius, 4., 8),
        random_walk(x, affinities, radius, 4., 8),
        rtol=0,
        atol=0)
    with pytest.raises(ValueError, match='directions'):
        random_walk(x, affinities[:-1], radius, 4., 8)


@pytest.mark.parametrize(
    'grid,image_size,n,radius,beta,exp_times',
    [((9, 13), (34, 50), 3, 5, 10., 8),  # IRN's defaults
     ((12, 7), (45, 28), 2, 5, 10., 8),
     ((9, 13), (36, 52), 1, 5, 4., 3),
     ((8, 10), (30, 37), 2, 3, 10., 6)])
def test_irn_label_scores_equal_official(grid, image_size, n, radius, beta,
                                         exp_times):
    boundary = random_boundary(*grid, seed=n + radius)
    cams = random_cams(n, *grid, seed=n + radius)
    ours = irn_label_scores(cams, boundary, image_size, beta, exp_times,
                            radius)
    official = official_irn_scores(cams, boundary, image_size, beta,
                                   exp_times, radius)
    assert ours.shape == (n, *image_size)
    torch.testing.assert_close(ours, official, rtol=1e-4, atol=1e-6)
    assert torch.equal(irn_label(ours), irn_label(official))


def test_irn_label_scores_without_classes():
    scores = irn_label_scores(
        torch.zeros(0, 9, 13), random_boundary(9, 13, seed=0), (34, 50))
    assert scores.shape == (0, 34, 50)
    assert torch.equal(irn_label(scores), torch.zeros(34, 50,
                                                      dtype=torch.long))


@pytest.mark.parametrize(
    'image_size,keys,radius,alpha,beta,logt',
    [((70, 99), (4, 14), 5, 16., 8., 8),  # PSA's defaults
     ((56, 92), (0, ), 5, 16., 8., 8),
     ((70, 99), (2, 7, 19), 5, 4., 3., 4),
     ((40, 61), (11, 12), 3, 16., 8., 6)])
def test_psa_label_scores_equal_official(image_size, keys, radius, alpha,
                                         beta, logt):
    height, width = image_size
    grid = (-(-height // 8), -(-width // 8))
    generator = torch.Generator().manual_seed(sum(keys))
    features = torch.randn(8, *grid, generator=generator) * 0.5
    # Smooth CAMs in [0, 1]: upsampled noise, as CAMs are.
    cams = F.interpolate(
        torch.rand(1, len(keys), *grid, generator=generator), image_size,
        mode='bilinear', align_corners=False)[0]
    ours = psa_label_scores(cams, features, alpha, beta, logt, radius)
    official = official_psa_scores(
        {k: v.numpy()
         for k, v in zip(keys, cams)}, features, image_size, alpha, beta,
        logt, radius)
    channels = [0] + [k + 1 for k in keys]
    assert ours.shape == (len(keys) + 1, *image_size)
    torch.testing.assert_close(
        ours, official[channels], rtol=1e-4, atol=1e-6)
    classes = torch.tensor(channels)
    assert torch.equal(classes[ours.argmax(0)], official.argmax(0))


def test_psa_label_scores_without_classes():
    features = torch.randn(8, 9, 13)
    scores = psa_label_scores(torch.zeros(0, 70, 99), features)
    # Only the background: (1 - 0) ** alpha, zero-padded, walked.
    assert scores.shape == (1, 70, 99)
    assert (scores > 0).all()
    with pytest.raises(ValueError, match='grid'):
        psa_label_scores(torch.zeros(1, 70, 99), torch.randn(8, 9, 12))


def test_psa_backgrounds_of_several_alphas_walk_as_one_each():
    torch.manual_seed(0)
    cams = torch.rand(2, 37, 45)
    features = torch.rand(6, 5, 6)
    several = psa_label_scores(cams, features, [4.0, 16.0], steps=20)
    for k, alpha in enumerate((4.0, 16.0)):
        single = psa_label_scores(cams, features, alpha, steps=20)
        torch.testing.assert_close(several[k], single[0])
        torch.testing.assert_close(several[2:], single[1:])
