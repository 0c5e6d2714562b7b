"""Tests of imbgraph.linkage.subgraphs: IPS supersets against a plain per-pivot
construction, block sizes, Arrow round trips."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import imbgraph.linkage.subgraphs as subgraphs
from imbgraph.linkage.subgraphs import IpsSpec, Supersets, build_supersets
from imbgraph.testing.ips_reference import IPS_CASES as CASES
from imbgraph.testing.ips_reference import knn_like, pivots_for

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")


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
