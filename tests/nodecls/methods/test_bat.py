"""Tests of imbgraph.nodecls.methods.bat: BAT's node risk, link probabilities (BAT0 and
BAT1) and virtual-node features by hand on the nine-node toy graph, the drawn edges (only
from nodes above their class's uncertainty, at the computed rates), the augmented batch, the
wrapper's loss and inference, the add-on's composition rules (every method it can wrap
trains on its graph; GraphENS's saliency covers the virtual nodes), and a tiny run beating
chance."""

from __future__ import annotations

import pytest
import torch

from imbgraph.errors import ConfigError
from imbgraph.nodecls.job import prepare, run_method
from imbgraph.nodecls.methods.bat import (
    BAT,
    BATModel,
    bat_augment,
    link_probability,
    neighbor_label_distribution,
    node_risk,
    virtual_features,
)
from imbgraph.nodecls.methods.graphens import GraphENS
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.methods.renode import ReNode
from imbgraph.testing.node_toy import X, make_batch, make_gnn

# Predicted probabilities of the nine toy nodes (training: 0-6; labels 0,0,0,1,1,1,2).
# y_pred = 0,0,0 (node 2's argmax 1 replaced by its label),1,1,1,2, and 0, 0 for nodes 7, 8.
PROBA = torch.tensor([[0.9, 0.05, 0.05], [0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1],
                      [0.1, 0.8, 0.1], [0.1, 0.5, 0.4], [0.1, 0.3, 0.6], [0.5, 0.1, 0.4],
                      [0.4, 0.3, 0.3]])
Y_PRED = torch.tensor([0, 0, 0, 1, 1, 1, 2, 0, 0])
# training counts 3, 3, 1: class weights n_c / max n = 1, 1, 1/3
CW = torch.tensor([1.0, 1.0, 1.0 / 3.0])
# uncertainty 1 - max p: .1 .4 .4 .3 .2 .5 .4 .5 .6; class means (by y_pred): class 0
# {0,1,2,7,8} 2.0/5 = .4, class 1 {3,4,5} 1/3, class 2 {6} .4; above the mean: nodes 5, 7, 8
RISK = torch.tensor([0, 0, 0, 0, 0, 0.5 - 1 / 3, 0, 0.1, 0.2])


def test_node_risk_by_hand():
    torch.testing.assert_close(node_risk(PROBA, Y_PRED, CW), RISK)
    # the class weight scales it: node 6 alone in class 2 has none; lift node 5 into class 2
    y = Y_PRED.clone()
    y[5] = 2  # class 2 = {5, 6}: uncertainties .5, .4, mean .45 -> node 5: .05 x 1/3
    assert float(node_risk(PROBA, y, CW)[5]) == pytest.approx(0.05 / 3)


def test_link_probability_bat0_by_hand():
    link = link_probability(PROBA.clone(), Y_PRED, RISK)
    want = torch.zeros(9, 3)
    want[5] = torch.tensor([0.2, 0.0, 0.8]) * (1 / 6)   # (.1, -, .4) renormalised
    want[7] = torch.tensor([0.0, 0.2, 0.8]) * 0.1       # (-, .1, .4)
    want[8] = torch.tensor([0.0, 0.5, 0.5]) * 0.2       # (-, .3, .3)
    torch.testing.assert_close(link, want)


def test_link_probability_bat1_by_hand():
    b = make_batch()
    dist = neighbor_label_distribution(Y_PRED, b.edge_index, 3)
    # node 3's neighbours 2, 4, 0 predicted 0, 1, 0; node 5's: 4, 6 -> 1, 2; 7, 8 isolated
    torch.testing.assert_close(dist[3], torch.tensor([2 / 3, 1 / 3, 0.0]))
    torch.testing.assert_close(dist[5], torch.tensor([0.0, 0.5, 0.5]))
    assert dist[7].sum() == 0 and dist[8].sum() == 0
    link = link_probability(dist, Y_PRED, RISK)
    want = torch.zeros(9, 3)
    want[5, 2] = 1 / 6  # (0, -, .5) renormalised to class 2 alone
    torch.testing.assert_close(link, want)


def test_virtual_features_are_the_predicted_class_means():
    v = virtual_features(torch.tensor(X, dtype=torch.float32), Y_PRED, 3)
    # class 0: nodes 0, 1, 2, 7, 8 -> (1+2+1+3+0, 1+1+3+3-1) / 5; class 1: 3, 4, 5; class 2: 6
    torch.testing.assert_close(v, torch.tensor([[1.4, 1.4], [1 / 3, 1.0], [-2.0, 2.0]]))


def test_augmented_batch_and_edges_only_from_uncertain_nodes():
    b = make_batch()
    torch.manual_seed(0)
    counts = torch.zeros(9, 3)
    draws = 600
    for _ in range(draws):
        out, info = bat_augment(PROBA, b, CW, mode="bat0")
        node, cls = info["edges"]
        counts[node, cls] += 1
        # only nodes above their predicted class's mean uncertainty, never to their own class
        assert set(node.tolist()) <= {5, 7, 8}
        assert not (cls == Y_PRED[node]).any()
    want = link_probability(PROBA.clone(), Y_PRED, RISK)
    torch.testing.assert_close(counts / draws, want, atol=0.05, rtol=0)
    # the last draw's batch: 3 virtual nodes appended (labelled, training), edges both ways
    assert out.num_nodes == 12 and out.adj.num_nodes == 12
    torch.testing.assert_close(out.x[9:], virtual_features(b.x, Y_PRED, 3))
    assert out.y[9:].tolist() == [0, 1, 2] and out.train[-3:].tolist() == [9, 10, 11]
    new = out.edge_index[:, b.edge_index.shape[1]:]
    pairs = {tuple(e) for e in new.t().tolist()}
    assert pairs == {(9 + c, v) for v, c in zip(node.tolist(), cls.tolist())} | \
        {(v, 9 + c) for v, c in zip(node.tolist(), cls.tolist())}
    torch.testing.assert_close(out.adj.degree()[:9],
                               b.adj.degree() + torch.bincount(node, minlength=9).float())


def test_bat1_links_only_node5_to_class2():
    b = make_batch()
    torch.manual_seed(1)
    hits = sum(int(bat_augment(PROBA, b, CW, mode="bat1")[1]["edges"].shape[1])
               for _ in range(800))
    assert hits / 800 == pytest.approx(1 / 6, abs=0.045)
    edges = bat_augment(PROBA, b, CW, mode="bat1")[1]["edges"]
    assert set(map(tuple, edges.t().tolist())) <= {(5, 2)}


def test_wrapper_trains_on_the_augmented_graph_and_predicts_on_the_original():
    b = make_batch()
    inner = Plain(make_gnn("gcn"))
    model = BATModel(inner, BAT(torch.tensor([3, 3, 1]), mode="bat0", warmup=1))
    model.train()
    assert model.loss(b).item() == pytest.approx(inner.loss(b).item())  # warm-up step
    torch.manual_seed(5)
    got = model.loss(b).detach()
    assert model.training and inner.training  # the eval-mode prediction left no trace
    with torch.no_grad():
        model.eval()
        proba = torch.softmax(inner(b.x, b.adj), dim=1)
        model.train()
    torch.manual_seed(5)
    aug = bat_augment(proba, b, model.bat.class_weight, "bat0")[0]
    assert got.item() == pytest.approx(inner.loss(aug).item())
    model.eval()
    assert model(b.x, b.adj).shape == (9, 3)
    model.reset_parameters()
    assert model.bat.steps == 0


def test_renode_weighs_virtual_nodes_one():
    b = make_batch()
    w = torch.linspace(0.5, 1.5, 7)
    model = ReNode(make_gnn("gcn"), w)
    torch.manual_seed(0)
    aug = bat_augment(PROBA, b, CW, "bat0")[0]
    model.eval()
    logits = model.gnn(aug.x, aug.adj)[aug.train]
    ce = torch.nn.functional.cross_entropy(logits, aug.y[aug.train], reduction="none")
    want = (ce * torch.cat([w, torch.ones(3)])).sum() / 10
    torch.testing.assert_close(model.loss(aug), want)


def test_addon_defaults_and_impossible_combinations(make_method):
    m = make_method({"name": "smote", "scale": 1.0})
    _, out = prepare({**m, "addons": ["bat"]})
    assert out["addons"] == [{"name": "bat", "mode": "bat1", "warmup": 0}]
    _, out = prepare({**m, "addons": [{"name": "bat", "mode": "bat0"}]})
    assert out["addons"][0]["mode"] == "bat0"
    # TAM and BAT together on a method that takes TAM
    _, out = prepare({**make_method({"name": "none"}), "addons": ["tam", "bat"]})
    assert [a["name"] for a in out["addons"]] == ["tam", "bat"]
    with pytest.raises(ConfigError, match=r"X\.addons\[0\] = 'bat' cannot be combined with "
                                          r"balancing 'cluster_gcn'.*runs its own job"):
        prepare({**make_method({"name": "cluster_gcn", "clusters": 2}), "addons": ["bat"]},
                key="X")
    with pytest.raises(ConfigError, match=r"X\.addons\[0\]\.mode = 'bat2'; expected"):
        prepare({**m, "addons": [{"name": "bat", "mode": "bat2"}]}, key="X")


@pytest.mark.parametrize("balancing", [{"name": "none"}, {"name": "smote", "scale": 1.0}])
def test_beats_chance(balancing, tiny_graph, tiny_split, make_method):
    m = {**make_method(balancing, model="gcn", max_epochs=30), "addons": ["bat"]}
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["balanced_acc"] > 0.6 and metrics["macro_auroc"] > 0.8  # chance .25, .5


def _combinable() -> list[str]:
    from imbgraph.nodecls.methods import METHODS
    return [n for n, m in METHODS.items() if not m.own_job and m.impl is not None]


@pytest.mark.parametrize("backbone", ["gcn", "gat"])
@pytest.mark.parametrize("mode", ["bat0", "bat1"])
@pytest.mark.parametrize("name", _combinable())
def test_every_method_trains_on_the_augmented_graph(name, mode, backbone, tiny_graph,
                                                    tiny_split, make_method):
    # the virtual nodes are training nodes of every step's batch: a method that keeps
    # per-training-node state (GraphENS's saliency rows: its mask needs d x keep_prob >= 1,
    # here 16 x 0.25) must find them there. GAT 8-d on the 16 features: its wide-input path
    extra = {"graphens": {"keep_prob": 0.25}, "oversampling": {"scale": "balance"},
             "smote": {"scale": "balance"}, "embed_smote": {"scale": 1.0},
             "graphsmote": {"scale": 1.0}, "cb_sampling": {"scale": 1.0}}
    bal = {"name": name, **extra.get(name, {})}
    m = {**make_method(bal, model=backbone, max_epochs=6, patience=100),
         "addons": [{"name": "bat", "mode": mode}]}
    if backbone == "gat":
        m["model"] = {**m["model"], "hidden": 8, "heads": 2}
    metrics, summary = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert summary["epochs"] == 6 and 0.0 <= metrics["balanced_acc"] <= 1.0


def test_graphens_saliency_covers_the_virtual_nodes():
    b = make_batch()
    torch.manual_seed(0)
    inner = GraphENS(make_gnn("gcn"), torch.nn.functional.cross_entropy,
                     torch.tensor([3, 3, 1]), torch.bincount(b.adj.deg.long()).float(),
                     keep_prob=0.5)
    model = BATModel(inner, BAT(torch.tensor([3, 3, 1]), mode="bat1"))
    model.train()
    for _ in range(3):  # GraphENS's warm-up step, then two steps with the saliency mask
        model.zero_grad()
        model.loss(b).backward()
    ids, rows, w = inner._grad
    assert w is None  # 2 input features into a wider layer: the raw input's gradient
    virtual = torch.arange(9, 12)  # n = 9 real nodes, C = 3 virtual ones appended
    assert set(ids.tolist()) == set(b.train.tolist()) | set(virtual.tolist())
    torch.testing.assert_close(inner.saliency(virtual), rows[-3:])
    assert inner.saliency(virtual).abs().sum() > 0
    assert inner.saliency(torch.tensor([8])).abs().sum() == 0  # not a training node
