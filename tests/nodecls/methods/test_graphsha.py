"""Tests of imbgraph.nodecls.methods.graphsha: the amounts by hand (mean and max targets),
the three samplings on extreme confidences, the synthetic nodes on the segment between
anchor and auxiliary node, their edges only from the anchor's top-k PPR entries (checked
against the dense PPR inverse) and at most the anchor's degree, the warm-up counted from 0,
the PPR memory bound at start-up naming the key, and GraphSHA beating chance."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from imbgraph.errors import ConfigError
from imbgraph.nodecls import config as nc
from imbgraph.nodecls.job import prepare, run_method
from imbgraph.nodecls.methods.graphsha import (
    GraphSHA,
    PPRNeighbourhoods,
    anchor_nodes,
    hard_pairs,
    ppr_neighbors,
    synthesis_counts,
)
from imbgraph.nodecls.ppr import ppr_columns
from imbgraph.testing.node_baselines import renode_dense
from imbgraph.testing.node_toy import UNDIRECTED, Y, make_batch, make_gnn, segment_weight

CONFIG = Path(__file__).parents[3] / "config" / "config.yaml"
TRAIN = [0, 1, 2, 3, 4, 5, 6]  # classes 0, 0, 0, 1, 1, 1, 2: counts 3, 3, 1 (mean 7/3)


def test_amounts_by_hand():
    # BAT's step split on Cora: 4 x 20 + 3 x 2; mean 86 / 7 = 12.29 -> int(10.29) = 10
    assert synthesis_counts(np.array([20, 20, 20, 20, 2, 2, 2])).tolist() == [0] * 4 + [10] * 3
    assert synthesis_counts(np.array([20, 20, 20, 20, 2, 2, 2]), "max").tolist() == \
        [0] * 4 + [18] * 3
    assert synthesis_counts(np.array([3, 3, 1])).tolist() == [0, 0, 1]  # int(7/3 - 1) = 1
    assert anchor_nodes(np.array(TRAIN), np.array(Y), 3).tolist() == [6]
    assert anchor_nodes(np.array(TRAIN), np.array(Y), 3, "max").tolist() == [6]


def test_three_samplings_on_extreme_confidences():
    # 8 training nodes (global ids 10..17): class 0 = 10..14, class 1 = 15, class 2 = 16, 17
    y = torch.tensor([0, 0, 0, 0, 0, 1, 2, 2])
    train = torch.arange(8) + 10  # global ids 10..17
    big = 30.0
    z = torch.zeros(8, 3)
    z[5] = torch.tensor([big, 0.0, -big])  # node 15 (class 1) sure it is class 0: hardest
    z[0] = torch.tensor([0.0, big, 0.0])   # node 10 (class 0) sure it is class 1
    z[1:5] = torch.tensor([big, -big, 0.0])  # nodes 11..14 sure of their class 0
    z[6] = torch.tensor([0.0, 0.0, big])   # node 16 easy (class 2); 17 unsure
    counts = torch.tensor([5, 1, 2])       # mean 8/3: class 1 gets 1, class 2 gets 0
    torch.manual_seed(0)
    src, dst = hard_pairs(z, y, train, counts, tau=2.0)
    assert src.tolist() == [15]
    # neighbouring class from 15's confidences (class 1 zeroed): class 0; auxiliary: the
    # class-0 node most confident in class 1, node 10
    assert dst.tolist() == [10]
    src, dst = hard_pairs(z, y, train, counts, target="max")  # max 5: 4 of 1, 3 of 2
    assert torch.bincount(y[src - 10], minlength=3).tolist() == [0, 4, 3]
    assert bool((y[dst - 10] != y[src - 10]).all())  # own class masked


def dense_ppr(alpha: float = 0.05) -> np.ndarray:
    pi, _, _ = renode_dense(UNDIRECTED, 9, Y, TRAIN, alpha=alpha)
    return pi


def test_edges_only_from_the_anchors_ppr_subgraph():
    b = make_batch()
    anchors = np.array([3, 6])
    k = 3
    cols = ppr_columns(_scipy(), anchors, alpha=0.05, tol=1e-12, topk=k)
    ppr = PPRNeighbourhoods(anchors, cols, 9)
    pi = dense_ppr()
    for a in anchors:
        j, u, w = ppr.of(torch.tensor([int(a)]))
        top = set(np.argsort(-pi[:, a], kind="stable")[:k].tolist())
        assert set(u.tolist()) == {v for v in top if pi[v, a] > 0}
        np.testing.assert_allclose(w.numpy(), pi[u.numpy(), a], atol=1e-10)
    hist = torch.tensor([0.0, 1.0, 2.0, 1.0])  # degrees 1..3 (the toy: 1, 2, 3)
    src = torch.tensor([3, 3, 6, 6, 3] * 40)
    torch.manual_seed(0)
    j, u = ppr_neighbors(ppr, b.adj, src, hist)
    for pos, s in enumerate(src.tolist()):
        got = u[j == pos].tolist()
        top = set(np.argsort(-pi[:, s], kind="stable")[:k].tolist())
        assert set(got) <= top and len(set(got)) == len(got)
        assert len(got) <= int(b.adj.deg[s])  # capped at the anchor's degree
    with pytest.raises(ValueError, match="anchor without PPR entries"):
        ppr.of(torch.tensor([0]))


def _scipy():
    import scipy.sparse as sp

    src = [a for a, c in UNDIRECTED] + [c for a, c in UNDIRECTED]
    dst = [c for a, c in UNDIRECTED] + [a for a, c in UNDIRECTED]
    return sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(9, 9))


def test_synthetic_nodes_lie_between_their_anchors_and_warmup_counts_from_zero():
    b = make_batch()
    anchors = anchor_nodes(np.array(TRAIN), np.array(Y), 3)
    cols = ppr_columns(_scipy(), anchors, alpha=0.05, tol=1e-12, topk=4)
    model = GraphSHA(make_gnn(), torch.nn.functional.cross_entropy,
                     torch.tensor([3, 3, 1]), torch.tensor([0.0, 1.0, 2.0, 1.0]),
                     PPRNeighbourhoods(anchors, cols, 9), warmup=1)
    model.train()
    torch.manual_seed(0)
    for step in range(1, 7):
        model.loss(b)
        draw, adj = model.last_draw, model.last_adj
        x = b.x.numpy()
        if step <= 2:  # the code's epochs 0 and 1 (<= warmup): Mixup, up to the max count
            assert draw.src.tolist() == [6, 6]
            continue
        assert draw.src.tolist() == [6] and draw.label.tolist() == [2]
        assert int(b.y[draw.dst[0]]) != 2  # the auxiliary node is of another class
        rows = draw.rows(b.x).numpy()
        for r in range(len(draw)):
            d = segment_weight(rows[r], x[draw.src[r]], x[draw.dst[r]])
            assert 0.0 <= d <= 1.0
            assert d == pytest.approx(1 - float(draw.lam[r]), abs=1e-5)
        # the edges into the synthetic node come from node 6's top-4 PPR entries
        top = set(np.argsort(-dense_ppr()[:, 6], kind="stable")[:4].tolist())
        assert set(adj.extra_src.tolist()) <= top
        assert set(adj.extra_dst.tolist()) <= {9}


def config_section() -> dict:
    return copy.deepcopy(yaml.safe_load(CONFIG.read_text())["nodecls"])


def test_ppr_memory_stops_at_start_up_naming_the_key():
    s = config_section()
    s["methods"]["X"] = {"label": "x", "model": "gcn",
                         "balancing": {"name": "graphsha", "ppr_topk": None,
                                       "ppr_max_mb": 0.1}}
    # the Cora stand-in, BAT's step split: anchors are the 3 x 2 tail nodes, 2708 x 6 x 16 B
    with pytest.raises(ConfigError, match=r"nodecls.methods.X.balancing \(dataset 'cora_like'\)"
                                          r": the personalised PageRank of 6 training nodes on "
                                          r"2708 nodes needs 0.2 MB, above ppr_max_mb = 0.1"):
        nc.check_run(s, "cora_like", "bat_step10", "X")
    s["methods"]["X"]["balancing"]["ppr_topk"] = 16
    nc.check_run(s, "cora_like", "bat_step10", "X")
    _, full = prepare({"label": "t", "model": {"name": "gcn"}, "balancing": {"name": "graphsha"}})
    assert full["balancing"] == {"name": "graphsha", "tau": 2.0, "warmup": 5, "target": "mean",
                                 "mask_own_class": True, "beta_a": 1.0, "beta_b": 100.0,
                                 "ppr_alpha": 0.05, "ppr_topk": 128, "ppr_tol": 1e-10,
                                 "ppr_max_mb": 2048}


def test_job_stops_before_training_naming_the_key(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsha", "ppr_topk": None, "ppr_max_mb": 1e-4})
    with pytest.raises(ConfigError, match=r"nodecls.methods.SHA.balancing: the personalised"):
        run_method(tiny_graph, tiny_split, m, seed=0, device="cpu", key="nodecls.methods.SHA")


@pytest.mark.parametrize("model, addons", [("gcn", None), ("sage", ["tam"])])
def test_beats_chance(model, addons, tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsha", "warmup": 2}, model=model, max_epochs=40)
    if addons:
        m["addons"] = addons
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
