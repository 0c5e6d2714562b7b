"""Tests of imbgraph.nodecls.methods.tam: the margins by hand on a three-node path, against
TAM's code written as loops (imbgraph.testing) on the nine-node toy graph, the class-wise
temperatures, the warm-up, and the add-on's effect on the loss of every method that takes it
(and only those)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.balanced_softmax import BalancedSoftmax, log_prior
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.methods.renode import ReNode
from imbgraph.nodecls.methods.tam import (
    TAM,
    class_temperature,
    jsd,
    neighbor_label_distribution,
    tam_margins,
)
from imbgraph.testing.node_baselines import tam_loops
from imbgraph.testing.node_toy import UNDIRECTED, Y, both_directions, make_batch, make_gnn


def jsd2(p, q):
    """JSD of two 2-class distributions, by hand."""
    m = [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2]
    return sum(a * math.log(a / b) for a, b in zip(p, m)) / 2 + \
        sum(a * math.log(a / b) for a, b in zip(q, m)) / 2


def test_margins_by_hand_on_a_path():
    # path 0 - 1 - 2, labels 0, 0, 1, all training: the soft labels are the one-hot labels.
    # Closed-neighbourhood means: d0 = (1, 0), d1 = (2/3, 1/3), d2 = (1/2, 1/2);
    # connectivities M0 = (d0 + d1) / 2 = (5/6, 1/6), M1 = d2 = (1/2, 1/2).
    ei = both_directions([(0, 1), (1, 2)])
    adj = Adjacency.from_edge_index(ei, 3)
    y, train = torch.tensor([0, 0, 1]), torch.tensor([0, 1, 2])
    acm, adm = tam_margins(torch.zeros(3, 2), adj, y, train, torch.tensor([2.0, 1.0]))
    # node 1, class 1: (d1[0] / M0[0]) * (M0[1] / d1[1]) = (4/5) * (1/2) = 0.4
    # node 0, class 1: d0[1] = 0, floored to 1e-6: a huge ratio, clipped to 1 (no margin)
    # node 2, class 0: (d2[1] / M1[1]) * (M1[0] / d2[0]) = 1
    torch.testing.assert_close(acm, torch.tensor([[1.0, 1.0], [1.0, 0.4], [1.0, 1.0]]))
    d0, d1, m0, m1 = (1.0, 1e-6), (2 / 3, 1 / 3), (5 / 6, 1 / 6), (0.5, 0.5)
    pair = jsd2(m0, m1)
    want = [[0.0, (jsd2(d0, m0) ** 2 + pair ** 2 - jsd2(d0, m1) ** 2) / (2 * pair ** 2)],
            [0.0, (jsd2(d1, m0) ** 2 + pair ** 2 - jsd2(d1, m1) ** 2) / (2 * pair ** 2)],
            [0.0, 0.0]]  # node 2: d2 = M1, so JSD(d2, M0) = JSD(M1, M0): 0 + P^2 - P^2
    want[2] = [(0.0 + pair ** 2 - jsd2((0.5, 0.5), m0) ** 2) / (2 * pair ** 2), 0.0]
    torch.testing.assert_close(adm, torch.tensor(want), atol=1e-6, rtol=1e-5)
    assert abs(want[2][0]) < 1e-12


def test_class_temperature_by_hand():
    # counts 3, 1: ratios 0.75, 0.25 -> 0.4 r + 0.6 = 0.9, 0.7; t = 1.2 (r + 1 - 0.9)
    torch.testing.assert_close(class_temperature(torch.tensor([3.0, 1.0]), 1.2, 0.4),
                               torch.tensor([1.2, 1.2 * 0.8]))


def test_jsd_by_hand():
    p, q = torch.tensor([0.9, 0.1]), torch.tensor([0.2, 0.8])
    assert jsd(p, q).item() == pytest.approx(jsd2((0.9, 0.1), (0.2, 0.8)), rel=1e-6)
    assert jsd(p, p).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("train", [[0, 1, 2, 3, 4, 5, 6], [0, 2, 3, 5, 6]])
def test_margins_equal_tams_code_as_loops(seed, train):
    # the nine-node toy; with the second training set, nodes 1 and 4 are unlabelled
    # neighbours of training nodes, entering through their tempered soft labels
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(9, 3, generator=g) * 2
    b = make_batch(train=train)
    counts = torch.tensor(np.bincount([Y[v] for v in train], minlength=3), dtype=torch.float32)
    acm, adm = tam_margins(logits, b.adj, b.y, b.train, counts, temperature=1.2,
                           temperature_gamma=0.4)
    ref_acm, ref_adm = tam_loops(logits.tolist(), UNDIRECTED, Y, b.train.tolist(),
                                 counts.tolist(), phi=1.2, gamma=0.4)
    torch.testing.assert_close(acm, torch.tensor(ref_acm), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(adm, torch.tensor(ref_adm), rtol=1e-4, atol=1e-5)
    assert (acm > 0).all() and (acm <= 1).all()


def test_neighbor_label_distribution_by_hand():
    # node 0's closed neighbourhood is {0, 1, 3}; node 7 is isolated: its own row
    adj = Adjacency.from_edge_index(both_directions(UNDIRECTED), 9)
    soft = torch.rand(9, 3, generator=torch.Generator().manual_seed(0))
    got = neighbor_label_distribution(soft, adj, torch.tensor([0, 7]))
    torch.testing.assert_close(got[0], (soft[0] + soft[1] + soft[3]) / 3)
    torch.testing.assert_close(got[1], soft[7])


def test_warmup_then_margins():
    gnn = make_gnn()
    model = Plain(gnn)
    model.addons.append(TAM(torch.tensor([3.0, 3.0, 1.0]), warmup=2))
    b = make_batch()
    model.train()
    plain = Plain(gnn)
    plain.train()
    torch.manual_seed(0)
    first = model.loss(b)
    torch.manual_seed(0)
    assert first.item() == pytest.approx(plain.loss(b).item())
    model.eval()
    model.train_logits(gnn(b.x, b.adj), b)  # evaluation mode: not a training step
    model.train()
    torch.manual_seed(0)
    second = model.loss(b)
    torch.manual_seed(0)
    assert second.item() == pytest.approx(plain.loss(b).item())
    torch.manual_seed(0)
    third = model.loss(b)  # step 3 > warmup 2: margins on
    torch.manual_seed(0)
    assert third.item() != pytest.approx(plain.loss(b).item())
    assert model.addons[0].steps == 3
    model.reset_parameters()
    assert model.addons[0].steps == 0


@pytest.mark.parametrize("kind", ["plain", "balanced_softmax", "renode"])
def test_margins_reach_each_base_loss(kind):
    gnn = make_gnn()
    gnn.eval()  # no dropout: the same logits every call
    counts = np.array([3, 3, 1])
    make = {"plain": lambda: Plain(gnn),
            "balanced_softmax": lambda: BalancedSoftmax(
                gnn, torch.nn.functional.cross_entropy, log_prior(counts)),
            "renode": lambda: ReNode(gnn, torch.linspace(0.5, 1.5, 7))}[kind]
    base, with_tam = make(), make()
    tam = TAM(torch.tensor(counts, dtype=torch.float32), warmup=1)
    tam.steps = 1  # past the warm-up
    with_tam.addons.append(tam)
    b = make_batch()
    z = gnn(b.x, b.adj)
    acm, adm = tam_margins(z, b.adj, b.y, b.train, torch.tensor([3.0, 3.0, 1.0]))
    adjusted = z[b.train] + 2.5 * acm.log() - 0.5 * adm
    torch.testing.assert_close(with_tam.train_logits(z, b), adjusted)
    assert with_tam.loss(b).item() != pytest.approx(base.loss(b).item())
