"""Tests of imbgraph.graphcls.methods.topoimb: the WL histograms and topology groups against a
hand computation, the memory and the weights by hand, node labels required at start-up, the
re-weighter's own steps, and a whole run that beats chance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.job import prepare, run_method
from imbgraph.graphcls.methods.topoimb import (
    MemModule,
    StructGNN,
    build,
    node_colours,
    topology_groups,
    wl_histograms,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

METHOD = {"label": "TopoImb", "kind": "topoimb", "model": {"name": "gin", "hidden": 16, "layers": 2},
          "balance": {"upsample": True},
          "train": {"epochs": 6, "patience": 6, "lr": 0.01, "batch_size": 16},
          "params": {"topo_groups": 4}}


def collection(graphs: list[tuple[int, list[tuple[int, int]]]], x=None) -> GraphCollection:
    """Graphs given as (node count, edges); all nodes of label 0 unless ``x``."""
    ptr = np.concatenate([[0], np.cumsum([n for n, _ in graphs])])
    src = np.concatenate([[ptr[i] + a for a, _ in e] for i, (_, e) in enumerate(graphs)])
    dst = np.concatenate([[ptr[i] + b for _, b in e] for i, (_, e) in enumerate(graphs)])
    x = np.ones((ptr[-1], 1), np.float32) if x is None else x
    return GraphCollection.from_edges(x, src, dst, ptr, np.arange(len(graphs)) % 2, name="hand")


PATH3 = (3, [(0, 1), (1, 2)])
TRIANGLE = (3, [(0, 1), (1, 2), (0, 2)])


def test_wl_histograms_by_hand():
    """One WL round: the path's ends (one neighbour) and middle (two) differ; the triangle's
    nodes are all like the middle. Rows L2-normalised: path (2, 1) / sqrt 5, triangle (0, 1)."""
    c = collection([PATH3, TRIANGLE])
    h = wl_histograms(c, node_colours(c), 1).toarray()
    ends = h[0].argmax()
    mid = 1 - ends
    assert h[0, ends] == pytest.approx(2 / np.sqrt(5)) and h[0, mid] == pytest.approx(1 / np.sqrt(5))
    assert h[1, mid] == pytest.approx(1.0) and h[1, ends] == 0


def test_topology_groups_separate_two_topologies():
    stars = [(6, [(0, i) for i in range(1, 6)])] * 12
    cycles = [(6, [(i, (i + 1) % 6) for i in range(6)])] * 12
    g = topology_groups(collection(stars + cycles), groups=2, iterations=2)
    assert len(set(g[:12])) == 1 and len(set(g[12:])) == 1 and g[0] != g[12]


def test_node_labels_are_required():
    c = collection([PATH3, TRIANGLE], x=np.full((6, 2), 0.5, np.float32))
    with pytest.raises(ConfigError, match="topo_initial = 'label'"):
        node_colours(c, key="params.topo_initial")
    with pytest.raises(ConfigError, match="reweight_weight = 1.5"):
        prepare({**METHOD, "params": {"reweight_weight": 1.5}})
    with pytest.raises(ConfigError, match="topo_groups = 1"):
        prepare({**METHOD, "params": {"topo_groups": 1}})


def test_memory_and_weights_by_hand():
    mem = MemModule(2, 1)
    v = torch.tensor([[1.0, -1.0], [0.5, 2.0]])
    with torch.no_grad():
        mem.value_memory.copy_(v)
    x = torch.tensor([[1.0, 2.0]])
    s1 = 1 / (1 + np.exp(-(1 * 1.0 + 2 * 0.5)))  # sigmoid(x V[:, 0]); the default column: 0.2
    p = np.exp([s1, 0.2]) / np.exp([s1, 0.2]).sum()
    out, s = mem(x)
    assert s[0].tolist() == pytest.approx(p.tolist())
    assert out[0].tolist() == pytest.approx((p @ v.numpy().T).tolist())

    rw = StructGNN(1, 2, 2, layers=1, n_mem=1)
    with torch.no_grad():
        rw.lin_weight.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
        rw.lin_weight.bias.zero_()
    e = torch.tensor([[0.0, 0, 0, 0], [2.0, 0, 0, 0]])
    sg = np.array([0.5, 1 / (1 + np.exp(-2.0))])
    assert rw.weight(e).tolist() == pytest.approx((sg * 2 / sg.sum()).tolist())  # mean 1


def test_reweighter_moves_by_its_own_steps(make_inputs):
    torch.manual_seed(0)
    learner, batcher = build(make_inputs("topoimb", {"topo_groups": 3}))
    learner.train()
    before = {n: p.detach().clone() for n, p in learner.reweighter.named_parameters()}
    loss = learner.loss(batcher(np.arange(16)))
    assert loss.requires_grad and all(p.grad is None for p in learner.reweighter.parameters())
    moved = {n for n, p in learner.reweighter.named_parameters() if not torch.equal(p, before[n])}
    assert "lin_weight.weight" in moved and "mem_cells.0.value_memory" in moved  # topology task
    mem = learner.reweighter.mem_cells[0].value_memory.detach().clone()
    learner.end_epoch()  # the memory pass
    assert not torch.equal(mem, learner.reweighter.mem_cells[0].value_memory) and not learner._seen


def test_run_beats_chance(tiny_run):
    coll, pe, split = tiny_run
    metrics, summary = run_method(coll, pe, split, METHOD,
                                  seed=0, device="cpu", progress=False)
    assert metrics["balanced_acc"] > 0.7
    assert sum(summary["topology_group_sizes"]) == coll.num_graphs


def test_runs_under_the_other_protocols(run_under_other_protocol):
    run_under_other_protocol(METHOD)
