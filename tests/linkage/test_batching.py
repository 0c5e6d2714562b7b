"""Tests of imbgraph.linkage.batching: the induced IPS of sampled hop-1 choices and the
graph batch (features, row- and symmetric-normalised adjacency, hop-1 rows) against plain
per-pivot constructions."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.linkage.batching import build_batch, induced_ips
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.testing.ips_reference import IPS_CASES as CASES
from imbgraph.testing.ips_reference import ips_reference, knn_like, pivots_for, random_chosen

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")

@pytest.mark.parametrize("name, make, spec", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("seed", [0, 1])
def test_induced_ips_equals_reference(name, make, spec, seed):
    nbr = make()
    sets = build_supersets(nbr, pivots_for(len(nbr), seed=6), spec, block=4)
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(sets), size=min(10, len(sets)), replace=False)
    chosen = random_chosen(rng, len(rows), spec.n_cand, spec.k1)
    kept, owner, src, dst, hop1 = induced_ips(sets, rows, chosen)
    glob = sets.nodes[kept]
    assert np.all(np.diff(owner) >= 0)
    assert np.all(owner[src] == owner[dst])
    assert np.all(src != dst)
    pairs = set(zip(src.tolist(), dst.tolist()))
    assert pairs == {(d, s) for s, d in pairs}  # both directions present
    assert len(pairs) == len(src)  # unique
    for i, r in enumerate(rows):
        p = int(sets.pivot[r])
        hop1_global = [int(v) for v in nbr[p, chosen[i]]]
        ref_nodes, ref_edges = ips_reference(nbr, p, hop1_global, spec.k2, spec.u)
        mine = owner == i
        assert sorted(glob[mine].tolist()) == sorted(ref_nodes)
        assert len(set(glob[mine].tolist())) == mine.sum()
        assert glob[mine][0] == p  # pivot first
        sel = owner[src] == i
        edges = {(min(a, b), max(a, b)) for a, b in zip(glob[src[sel]].tolist(), glob[dst[sel]].tolist())}
        assert edges == ref_edges
        assert glob[hop1[i]].tolist() == hop1_global
        assert np.all(owner[hop1[i]] == i)


def test_build_batch():
    nbr = knn_like(40, 6, 9)
    spec = IpsSpec(k1=3, k2=4, u=1, gamma=2.0)  # u < k2: some nodes end up isolated
    sets = build_supersets(nbr, np.arange(40), spec)
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((40, 5)).astype(np.float32)
    rows = np.array([3, 17, 0, 25, 9])
    chosen = random_chosen(rng, len(rows), spec.n_cand, spec.k1)
    kept, owner, src, dst, hop1 = induced_ips(sets, rows, chosen)
    batch = build_batch(sets, rows, chosen, feats)
    glob = sets.nodes[kept]
    pivots = sets.pivot[rows]
    n = len(kept)

    assert batch.x.dtype.is_floating_point and tuple(batch.x.shape) == (n, 5)
    np.testing.assert_allclose(batch.x.numpy(), feats[glob] - feats[pivots[owner]], rtol=1e-6)
    assert np.all(batch.x.numpy()[np.flatnonzero(glob == pivots[owner])] == 0)

    adj = batch.adj.to_dense().numpy()
    assert adj.shape == (n, n)
    pattern = adj != 0
    np.testing.assert_array_equal(pattern, pattern.T)
    expected = np.zeros((n, n), dtype=bool)
    expected[src, dst] = True
    np.testing.assert_array_equal(pattern, expected)
    rowsum = adj.sum(axis=1)
    has_edge = pattern.any(axis=1)
    assert (~has_edge).any()  # the case exercises isolated nodes
    np.testing.assert_allclose(rowsum[has_edge], 1.0, rtol=1e-6)
    assert np.all(rowsum[~has_edge] == 0)
    # row-normalised: every nonzero in a row equals 1/degree
    deg = pattern.sum(axis=1)
    r, c = np.nonzero(pattern)
    np.testing.assert_allclose(adj[r, c], 1.0 / deg[r], rtol=1e-6)
    # symmetric normalisation D^-1/2 A D^-1/2 on the same pattern (RGCN)
    sym = batch.adjacency("sym").to_dense().numpy()
    np.testing.assert_array_equal(sym != 0, pattern)
    np.testing.assert_allclose(sym[r, c], 1.0 / np.sqrt(deg[r] * deg[c]), rtol=1e-6)
    np.testing.assert_allclose(sym, sym.T, rtol=1e-6)
    assert batch.adjacency("row") is batch.adj
    with pytest.raises(ValueError, match="normalization = 'max'"):
        batch.adjacency("max")

    k1 = spec.k1
    np.testing.assert_array_equal(batch.hop1.numpy(), hop1.reshape(-1))
    np.testing.assert_array_equal(batch.pivot, np.repeat(pivots, k1))
    np.testing.assert_array_equal(batch.target, nbr[pivots[:, None], chosen].reshape(-1))
    np.testing.assert_array_equal(glob[batch.hop1.numpy()], batch.target)
    np.testing.assert_array_equal(owner[batch.hop1.numpy()], np.repeat(np.arange(len(rows)), k1))
