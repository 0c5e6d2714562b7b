"""Tests of imbgraph.graphcls.encodings: hand-computed return probabilities and agreement of
the half-power computation with PyG's AddRandomWalkPE; the Laplacian eigenvector PE against
PyG's AddLaplacianEigenvectorPE and the spectrum statistics of UniImb's LapPE branch."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.encodings import laplacian_pe, laplacian_spectrum_stats, random_walk_pe

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def test_triangle_and_path_by_hand():
    # graph 0: triangle; graph 1: path a-b-c; graph 2: an isolated node
    c = GraphCollection.from_edges(np.zeros((7, 1)), np.array([0, 1, 0, 3, 4]),
                                   np.array([1, 2, 2, 4, 5]), np.array([0, 3, 6, 7]),
                                   np.array([0, 1, 0]))
    pe = random_walk_pe(c, 4)
    np.testing.assert_allclose(pe[:3], [[0, 0.5, 0.25, 0.375]] * 3, atol=1e-6)
    # path end a: P^2_aa = 1 (a->b->a), P^4_aa = 1 * (1/2) + ... = 0.5; middle b: 0.5, 0.5
    np.testing.assert_allclose(pe[3], [0, 0.5, 0, 0.5], atol=1e-6)
    np.testing.assert_allclose(pe[4], [0, 1.0, 0, 1.0], atol=1e-6)
    np.testing.assert_allclose(pe[6], [0, 0, 0, 0])


@pytest.mark.parametrize("dim", [1, 3, 6])
def test_half_equals_pyg(tiny, dim):
    a = random_walk_pe(tiny, dim, method="half", chunk_nodes=500)
    b = random_walk_pe(tiny, dim, method="pyg", chunk_nodes=500)
    assert a.shape == (tiny.num_nodes, dim) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_bad_dim(tiny):
    with pytest.raises(ValueError, match="dim = 0"):
        random_walk_pe(tiny, 0)


# --- Laplacian encodings ------------------------------------------------------------------


def _random_collection(sizes, seed: int, extra: float = 1.0, min_gap: float = 1e-3):
    """Connected random graphs (a random tree plus extra edges) whose normalised Laplacians
    have well separated eigenvalues (so eigenvectors are unique up to sign)."""
    import torch

    from imbgraph.graphcls.encodings import _sym_laplacians

    rng = np.random.default_rng(seed)
    srcs, dsts, ptr, off = [], [], [0], 0
    for n in sizes:
        while True:
            parent = (rng.random(n - 1) * np.arange(1, n)).astype(np.int64)
            e = np.stack([np.arange(1, n), parent], axis=1)
            e = np.concatenate([e, rng.integers(0, n, size=(int(extra * n), 2))])
            one = GraphCollection.from_edges(np.zeros((n, 1)), e[:, 0], e[:, 1],
                                             np.array([0, n]), np.array([0]))
            ev = torch.linalg.eigvalsh(torch.from_numpy(
                _sym_laplacians(one, np.array([0]), n)[0])).numpy()
            if n < 2 or np.diff(ev).min() > min_gap:
                break
        srcs.append(e[:, 0] + off)
        dsts.append(e[:, 1] + off)
        off += n
        ptr.append(off)
    return GraphCollection.from_edges(np.zeros((off, 1)), np.concatenate(srcs),
                                      np.concatenate(dsts), np.array(ptr),
                                      np.zeros(len(sizes), dtype=np.int64))


def _same_up_to_sign(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    sign = np.sign((a * b).sum(axis=0))
    sign[sign == 0] = 1
    np.testing.assert_allclose(a * sign, b, atol=atol)


@pytest.mark.parametrize("dim", [1, 3, 5])
def test_laplacian_pe_equals_pyg(dim):
    from torch_geometric.transforms import AddLaplacianEigenvectorPE

    c = _random_collection([7, 9, 9, 12, 20, 9, 120], seed=dim)  # 120: PyG's sparse path
    pe = laplacian_pe(c, dim)
    assert pe.shape == (c.num_nodes, dim) and pe.dtype == np.float32
    for g, d in enumerate(c.to_data_list()):
        ref = AddLaplacianEigenvectorPE(dim, attr_name="pe")(d).pe.numpy()
        _same_up_to_sign(pe[c.node_ptr[g]:c.node_ptr[g + 1]], ref, atol=2e-4)


def test_laplacian_pe_large_graph_path_and_padding():
    c = _random_collection([6, 30, 3, 2, 1], seed=1)
    dense = laplacian_pe(c, 4)
    subset = laplacian_pe(c, 4, dense_below=10)  # graphs of >= 10 nodes: scipy subset eigh
    lo, hi = c.node_ptr[1], c.node_ptr[2]
    _same_up_to_sign(subset[lo:hi], dense[lo:hi], atol=1e-5)
    np.testing.assert_array_equal(subset[:lo], dense[:lo])
    # 3 nodes: two non-trivial eigenvectors, then zeros; 2 nodes (one edge): (1, -1) / sqrt 2
    three = dense[c.node_ptr[2]:c.node_ptr[3]]
    assert np.abs(three[:, :2]).sum(axis=0).min() > 0.5 and not three[:, 2:].any()
    two = dense[c.node_ptr[3]:c.node_ptr[4]]
    np.testing.assert_allclose(np.abs(two[:, 0]), [2 ** -0.5] * 2, atol=1e-6)
    assert two[0, 0] == -two[1, 0] and not two[:, 1:].any()
    assert not dense[-1].any()  # a lone node
    with pytest.raises(ValueError, match="dim = 0"):
        laplacian_pe(c, 0)


def test_laplacian_spectrum_stats_is_size_and_eigenvalue_sum():
    """(n, sum of eigenvalues of the unnormalised Laplacian) as UniImb's EVD_Laplacian forms it
    (get_laplacian(to_undirected(edge_index)), normalization None) from a raw edge list with a
    self loop and a repeated edge, which the collection drops."""
    import torch
    from torch_geometric.utils import get_laplacian, to_undirected

    src = np.array([0, 1, 2, 2, 0, 3, 4, 5, 5, 6])
    dst = np.array([1, 2, 0, 2, 1, 4, 5, 3, 6, 6])  # graph 0: triangle, loop 2-2, 0-1 twice
    ptr = np.array([0, 3, 7, 8])  # graph 1: nodes 3..6; graph 2: a lone node
    c = GraphCollection.from_edges(np.zeros((8, 1)), src, dst, ptr, np.array([0, 1, 0]))
    stats = laplacian_spectrum_stats(c)
    assert stats.shape == (8, 2) and stats.dtype == np.float32
    for g in range(3):
        lo, hi = ptr[g], ptr[g + 1]
        keep = (src >= lo) & (src < hi)
        ei = torch.from_numpy(np.stack([src[keep], dst[keep]]) - lo)
        idx, w = get_laplacian(to_undirected(ei, num_nodes=hi - lo), normalization=None,
                               num_nodes=hi - lo)
        lap = torch.zeros(hi - lo, hi - lo).index_put_((idx[0], idx[1]), w, accumulate=True)
        lam = torch.linalg.eigvalsh(lap)
        np.testing.assert_allclose(stats[lo:hi], [[hi - lo, lam.sum().item()]] * (hi - lo),
                                   atol=1e-4)
    assert stats[:3, 1].tolist() == [6.0] * 3  # a triangle: degrees 2 + 2 + 2
