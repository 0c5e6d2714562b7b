"""Tests of imbgraph.nodecls.data.deepwalk: walks follow edges, embeddings are seed-determined
(also across processes) and separate two communities."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from imbgraph.graph import symmetric_adjacency
from imbgraph.nodecls.data.deepwalk import deepwalk, random_walks


def two_cliques(k=8):
    src, dst = np.triu_indices(k, 1)
    src = np.concatenate([src, src + k, [0]])
    dst = np.concatenate([dst, dst + k, [k]])  # one bridge 0 - k
    adj = symmetric_adjacency(src, dst, 2 * k + 1)  # node 2k isolated
    return adj


def test_walks_follow_edges():
    adj = two_cliques()
    w = random_walks(adj, walk_length=6, walks_per_node=3, seed=0)
    assert w.shape == (3 * 17, 6)
    for r in range(3):  # every node starts one walk per round
        assert sorted(w[r * 17:(r + 1) * 17, 0].tolist()) == list(range(17))
    a = adj.toarray()
    steps = np.stack([w[:, :-1].ravel(), w[:, 1:].ravel()])
    moved = steps[0] != steps[1]
    assert a[steps[0, moved], steps[1, moved]].all()
    assert (w[w[:, 0] == 16] == 16).all()  # the isolated node stays
    assert np.array_equal(w, random_walks(adj, walk_length=6, walks_per_node=3, seed=0))


CHILD = """
import sys, numpy as np
sys.path.insert(0, {here!r})
from test_deepwalk import two_cliques
from imbgraph.nodecls.data.deepwalk import deepwalk
np.save(sys.argv[1], deepwalk(two_cliques(), dim=8, walk_length=10, walks_per_node=5,
                              window=3, seed=4))
"""


def test_embeddings_seeded_across_processes(tmp_path):
    adj = two_cliques()
    e = deepwalk(adj, dim=8, walk_length=10, walks_per_node=5, window=3, seed=4)
    assert e.shape == (17, 8) and e.dtype == np.float32
    assert np.array_equal(e, deepwalk(adj, dim=8, walk_length=10, walks_per_node=5,
                                      window=3, seed=4))
    here = str(__import__("pathlib").Path(__file__).parent)
    subprocess.run([sys.executable, "-c", CHILD.format(here=here), str(tmp_path / "e.npy")],
                   check=True, env={"PYTHONHASHSEED": "123", **__import__("os").environ})
    assert np.array_equal(np.load(tmp_path / "e.npy"), e)


def test_embeddings_separate_communities():
    e = deepwalk(two_cliques(), dim=16, walk_length=20, walks_per_node=20, window=5,
                 epochs=5, seed=0)
    e = e / np.linalg.norm(e, axis=1, keepdims=True)
    sim = e @ e.T
    within = (sim[1:8, 1:8].sum() - 7) / 42
    across = sim[1:8, 9:16].mean()
    assert within > across + 0.2
