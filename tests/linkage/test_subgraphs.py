"""Tests of imbgraph.linkage.subgraphs (IPS supersets) and imbgraph.linkage.batching
(induced IPS, graph batches) against plain per-pivot constructions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import imbgraph.linkage.subgraphs as subgraphs
from imbgraph.linkage.batching import build_batch, induced_ips
from imbgraph.linkage.subgraphs import IpsSpec, Supersets, build_supersets
from imbgraph.testing.ips_reference import ips_reference

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")


def knn_like(n, k, seed):
    """Rows of k distinct ids, never the row itself (a valid kNN table)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)]).astype(np.int32)


def with_repeats(n, k, seed):
    """Rows drawn with replacement from a tiny range: repeated ids and self links."""
    return np.random.default_rng(seed).integers(0, n, size=(n, k)).astype(np.int32)


CASES = [
    # (table, spec)
    ("spread", lambda: knn_like(60, 8, 0), IpsSpec(k1=4, k2=3, u=2, gamma=1.5)),
    ("overlap", lambda: knn_like(12, 6, 1), IpsSpec(k1=3, k2=4, u=3, gamma=2.0)),
    ("tiny", lambda: knn_like(7, 5, 2), IpsSpec(k1=5, k2=5, u=5, gamma=1.0)),
    ("repeats", lambda: with_repeats(9, 6, 3), IpsSpec(k1=2, k2=4, u=6, gamma=2.5)),
]


def superset_reference(nbr, p, spec):
    c_glob = [int(v) for v in nbr[p, : spec.n_cand]]
    h_glob = [[int(w) for w in nbr[q, : spec.k2]] for q in c_glob]
    nodes = []
    for v in [int(p)] + c_glob + [w for row in h_glob for w in row]:
        if v not in nodes:
            nodes.append(v)
    local = {g: i for i, g in enumerate(nodes)}
    cand = [local[g] for g in c_glob]
    hop2 = [[local[g] for g in row] for row in h_glob]
    unn = [[local.get(int(g), -1) for g in nbr[v, : spec.u]] for v in nodes]
    return nodes, cand, hop2, unn


def pivots_for(n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(n), rng.integers(0, n, 3)])  # includes repeats


def assert_same(a: Supersets, b: Supersets):
    for name in ("pivot", "offset", "nodes", "cand", "hop2", "unn"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("name, make, spec", CASES, ids=[c[0] for c in CASES])
def test_supersets_equal_reference(name, make, spec):
    nbr = make()
    pivots = pivots_for(len(nbr), seed=4)
    sets = build_supersets(nbr, pivots, spec, block=5)
    assert len(sets) == len(pivots)
    np.testing.assert_array_equal(sets.pivot, pivots)
    assert sets.cand.shape == (len(pivots), spec.n_cand)
    assert sets.hop2.shape == (len(pivots), spec.n_cand, spec.k2)
    assert sets.unn.shape == (sets.offset[-1], spec.u)
    assert sets.sizes.max() <= spec.max_nodes
    for i, p in enumerate(pivots):
        nodes, cand, hop2, unn = superset_reference(nbr, p, spec)
        lo, hi = sets.offset[i], sets.offset[i + 1]
        assert sets.nodes[lo:hi].tolist() == nodes
        assert sets.cand[i].tolist() == cand
        assert sets.hop2[i].tolist() == hop2
        assert sets.unn[lo:hi].tolist() == unn
        # hop2 maps back to nbr through the node list
        np.testing.assert_array_equal(
            sets.nodes[lo:hi][sets.hop2[i]], nbr[nbr[p, : spec.n_cand], : spec.k2]
        )


def test_overlap_case_actually_overlaps():
    nbr = knn_like(12, 6, 1)
    spec = IpsSpec(k1=3, k2=4, u=3, gamma=2.0)
    sets = build_supersets(nbr, np.arange(12), spec)
    assert np.all(sets.sizes < 1 + spec.n_cand * (1 + spec.k2))  # dedup did something
    assert (sets.unn == -1).any() or sets.sizes.max() == 12


@pytest.mark.parametrize("name, make, spec", CASES, ids=[c[0] for c in CASES])
def test_block_sizes_agree(name, make, spec, monkeypatch):
    nbr = make()
    pivots = pivots_for(len(nbr), seed=5)
    ref = build_supersets(nbr, pivots, spec, block=512)
    for block in (1, 2, 7, len(pivots)):
        assert_same(build_supersets(nbr, pivots, spec, block=block), ref)
    # the lookup-table budget caps the block too
    monkeypatch.setattr(subgraphs, "LUT_ENTRIES", 3 * len(nbr))
    assert_same(build_supersets(nbr, pivots, spec, block=512), ref)


def test_empty_pivots():
    nbr = knn_like(10, 4, 0)
    spec = IpsSpec(2, 3, 2)
    sets = build_supersets(nbr, np.array([], dtype=np.int64), spec)
    assert len(sets) == 0 and sets.offset.tolist() == [0] and sets.nodes.size == 0
    assert sets.cand.shape == (0, 2) and sets.hop2.shape == (0, 2, 3) and sets.unn.shape == (0, 2)


def test_arrow_round_trip_and_slice():
    nbr = knn_like(30, 6, 7)
    sets = build_supersets(nbr, np.arange(30), IpsSpec(3, 3, 2, 2.0), block=8)
    table = sets.to_arrow()
    assert table.column_names == ["pivot", "nodes", "cand", "hop2", "unn"]
    assert_same(Supersets.from_arrow(table), sets)
    assert_same(Supersets.from_arrow(pa.concat_tables([table.slice(0, 13), table.slice(13)])), sets)
    part = Supersets.from_arrow(table.slice(10, 5))
    expected = build_supersets(nbr, np.arange(10, 15), IpsSpec(3, 3, 2, 2.0))
    assert_same(part, expected)


def test_concat():
    nbr = knn_like(25, 5, 8)
    spec = IpsSpec(2, 3, 3, 2.0)
    pivots = np.random.default_rng(0).permutation(25)
    whole = build_supersets(nbr, pivots, spec)
    parts = [build_supersets(nbr, pivots[a:b], spec) for a, b in [(0, 4), (4, 5), (5, 25)]]
    assert_same(Supersets.concat(parts), whole)


def test_ips_spec_sizes():
    spec = IpsSpec(k1=5, k2=3, u=2, gamma=1.2)
    assert spec.n_cand == 6
    assert spec.max_nodes == 1 + 6 * 4
    assert IpsSpec(k1=10, k2=1, u=1, gamma=1.0).n_cand == 10
    assert IpsSpec(k1=3, k2=1, u=1, gamma=1 / 3 * 4).n_cand == 4  # float error tolerated


def test_ips_spec_check_errors():
    with pytest.raises(ValueError, match="subgraph gamma = 0.5; expected >= 1"):
        IpsSpec(k1=2, k2=2, u=2, gamma=0.5).check(10)
    with pytest.raises(ValueError, match=r"need 6 neighbours .*ceil\(k1\*gamma\) = 6.* has k = 5"):
        IpsSpec(k1=4, k2=2, u=2, gamma=1.5).check(5)
    with pytest.raises(ValueError, match=r"k2 = 7, u = 2\) but the kNN table has k = 6"):
        IpsSpec(k1=2, k2=7, u=2).check(6)
    with pytest.raises(ValueError, match="need 9 neighbours"):
        build_supersets(knn_like(20, 8, 0), np.arange(3), IpsSpec(k1=2, k2=2, u=9))
    IpsSpec(k1=4, k2=2, u=2, gamma=1.5).check(6)  # exactly enough


def random_chosen(rng, b, n_cand, k1):
    """Mix of sampler-like choices: sorted without replacement, and with duplicates."""
    out = np.empty((b, k1), dtype=np.int64)
    for i in range(b):
        if i % 2:
            out[i] = np.sort(rng.choice(n_cand, k1, replace=False))
        else:
            out[i] = np.sort(rng.integers(0, n_cand, k1))
    return out


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
