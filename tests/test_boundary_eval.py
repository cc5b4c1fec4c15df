"""Boundary-map quality: the true class edges on the stride-4 grid, the
average precision against a rank-based re-implementation, and the
evaluation of a trained IRN's map through the API."""
import numpy as np
import pytest

from mmwsss.apis import evaluate_boundary_map
from mmwsss.evaluation.boundary_eval import (BINS, BoundaryAPAccumulator,
                                             average_precision,
                                             true_class_edges)
from mmwsss.utils.errors import InputError


def ranked_average_precision(scores, positive):
    """AP as the mean, over the positives, of the precision among all
    cells ranked at or above it (distinct scores)."""
    order = np.argsort(-scores, kind='stable')
    hits = positive[order]
    ranks = np.flatnonzero(hits) + 1
    return float(np.mean(np.cumsum(hits)[ranks - 1] / ranks))


def test_edges_of_a_square_with_its_void_band():
    mask = np.zeros((33, 30), dtype=np.uint8)
    mask[8:24, 8:20] = 1
    band = np.zeros_like(mask, dtype=bool)
    band[7:25, 7:21] = True
    band[9:23, 9:19] = False
    mask[band] = 255
    mask[28:, 26:] = 255
    edges, valid = true_class_edges(mask)
    assert edges.shape == valid.shape == (9, 8)
    # Inside the object and far in the background: no edge.
    assert not edges[3:5, 3:4].any() and not edges[0, 0]
    # Every cell the void band crosses is an edge.
    rows, cols = np.nonzero(band)
    assert edges[rows // 4, cols // 4].all()
    # The all-void corner cell says nothing; its neighbours see the void
    # border and are edges.
    assert not valid[8, 7] and not edges[8, 7]
    assert valid.sum() == edges.size - 1
    # Two classes touching without a band also make an edge.
    touching = np.zeros((8, 8), dtype=np.uint8)
    touching[:, 4:] = 2
    edges, valid = true_class_edges(touching)
    assert valid.all() and edges.tolist() == [[True, True], [True, True]]


def test_average_precision_equals_the_ranked_definition():
    rng = np.random.default_rng(0)
    for _ in range(20):
        # Distinct bins, so that ties cannot make the definitions differ.
        cells = 200
        bins = rng.permutation(BINS)[:cells]
        positive = rng.random(cells) < rng.uniform(0.05, 0.6)
        positive[0] = True
        counts_pos = np.bincount(bins[positive], minlength=BINS)
        counts_neg = np.bincount(bins[~positive], minlength=BINS)
        assert average_precision(counts_pos, counts_neg) == pytest.approx(
            ranked_average_precision(bins.astype(float), positive))


def test_accumulator_perfect_constant_and_inverted_maps():
    mask = np.zeros((64, 64), dtype=np.uint8)
    mask[16:48, 16:48] = 1
    edges, valid = true_class_edges(mask)
    chance = 100 * edges.sum() / valid.sum()

    def ap_of(boundary):
        acc = BoundaryAPAccumulator()
        acc.add(boundary, edges, valid)
        return acc.result()

    perfect = ap_of(edges.astype(np.float32))
    assert perfect['boundary_ap'] == pytest.approx(100)
    assert perfect['chance'] == pytest.approx(chance)
    # A map that says the same everywhere is worth the share of edges.
    assert ap_of(np.full(edges.shape, 0.3))['boundary_ap'] == \
        pytest.approx(chance)
    # Every edge ranked last: only the final step, at the share of edges.
    assert ap_of(1 - edges.astype(np.float32))['boundary_ap'] == \
        pytest.approx(chance)
    with pytest.raises(InputError, match='no true class edge'):
        acc = BoundaryAPAccumulator()
        acc.add(np.zeros((4, 4)), np.zeros((4, 4), bool), np.ones((4, 4),
                                                                  bool))
        acc.result()


def test_trained_irn_boundary_map_is_evaluated(tiny_irn, tiny_data):
    config, checkpoint, _ = tiny_irn
    result = evaluate_boundary_map(
        config, checkpoint, 'val', data_root=tiny_data, num_workers=0,
        device='cpu', progress=False)
    assert result['split'] == 'val'
    assert 0 < result['chance'] < 50
    # 8 val images of 128 x 128: a 32 x 32 grid each.
    assert result['cells'] == 8 * 32 * 32
    assert result['chance'] < result['boundary_ap'] <= 100
