"""Tests of imbgraph.graphcls.pretrain: InfoGraph's JSD MI loss against InfoGraph's own
masked-sum formula, GraphCL's NT-Xent against a per-pair loop, the two objectives' heads and
views (hand values for an identity view and for fully masked graphs, an independent
augmentation per view, unknown augmentations refused), and :func:`pretrain_encoder`'s
epochs, batches, optimiser and summary. A small linear sum-pooling encoder stands in for GIN
(whose pre-training end to end is in test_methods.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.augment import AUGMENTATIONS
from imbgraph.graphcls.pretrain import (
    PRETRAINERS,
    GraphCLLoss,
    InfoGraphLoss,
    jsd_mi_loss,
    nt_xent,
    pretrain_encoder,
)


class SumEncoder(nn.Module):
    """Linear node codes, summed per graph: (graph codes (B, dim), node codes (n, dim))."""

    def __init__(self, in_channels: int, dim: int = 4, bias: bool = True) -> None:
        super().__init__()
        self.lin = nn.Linear(in_channels, dim, bias=bias)
        self.hidden = dim
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, b, x=None, edge_index=None):
        x = b.x if x is None else x
        self.calls.append((x, b.edge_index if edge_index is None else edge_index))
        h = self.lin(x)
        return h.new_zeros(b.num_graphs, h.shape[1]).index_add(0, b.batch, h), h


# --- the losses -------------------------------------------------------------------------------
def infograph_reference(local, global_, batch) -> float:
    """InfoGraph's ``local_global_loss_`` (measure JSD): positives and negatives by masks over
    the full (n, B) score matrix; the masked-out entries contribute softplus(0) - log 2 = 0."""
    n, b = local.shape[0], global_.shape[0]
    res = local.detach().double() @ global_.detach().double().T
    pos_mask = torch.zeros(n, b, dtype=torch.float64)
    for i, g in enumerate(batch.tolist()):
        pos_mask[i, g] = 1.0
    neg_mask = 1.0 - pos_mask
    log2 = math.log(2.0)
    e_pos = (log2 - F.softplus(-(res * pos_mask))).sum() / n
    e_neg = (F.softplus(-(res * neg_mask)) + res * neg_mask - log2).sum() / (n * (b - 1))
    return float(e_neg - e_pos)


@pytest.mark.parametrize("seed", [0, 1])
def test_jsd_mi_loss_equals_infographs_formula(seed):
    g = torch.Generator().manual_seed(seed)
    batch = torch.tensor([0, 0, 1, 2, 2, 2, 3])
    local, glob = torch.randn(7, 5, generator=g), torch.randn(4, 5, generator=g)
    got = jsd_mi_loss(local, glob, batch)
    assert got.item() == pytest.approx(infograph_reference(local, glob, batch), rel=1e-5)


def test_jsd_mi_loss_with_one_graph_has_no_negatives():
    local = torch.tensor([[1.0, 0.0], [0.0, 2.0]], requires_grad=True)
    glob = torch.tensor([[1.0, 1.0]])
    loss = jsd_mi_loss(local, glob, torch.tensor([0, 0]))  # scores 1 and 2
    want = -((math.log(2) - math.log1p(math.exp(-1))) + (math.log(2) - math.log1p(math.exp(-2))))
    assert loss.item() == pytest.approx(want / 2, rel=1e-6)
    loss.backward()
    assert local.grad is not None and torch.isfinite(local.grad).all()


def nt_xent_loop(z1: np.ndarray, z2: np.ndarray, tau: float) -> float:
    b = z1.shape[0]
    total = 0.0
    for i in range(b):
        s = [np.dot(z1[i], z2[j]) / (np.linalg.norm(z1[i]) * np.linalg.norm(z2[j]))
             for j in range(b)]
        neg = sum(math.exp(s[j] / tau) for j in range(b) if j != i)
        total += -math.log(math.exp(s[i] / tau) / neg)
    return total / b


@pytest.mark.parametrize("tau", [0.2, 1.0])
def test_nt_xent_against_a_loop(tau):
    g = torch.Generator().manual_seed(3)
    z1, z2 = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    got = nt_xent(z1, z2, tau).item()
    assert got == pytest.approx(nt_xent_loop(z1.double().numpy(), z2.double().numpy(), tau),
                                rel=1e-5)
    assert nt_xent(3 * z1, 0.5 * z2, tau).item() == pytest.approx(got, rel=1e-5)  # cosine


def test_nt_xent_of_identical_directions_is_log_of_negatives():
    z = torch.ones(4, 3)  # every similarity 1: -log(e / (3 e)) = log 3
    assert nt_xent(z, 2 * z, 0.5).item() == pytest.approx(math.log(3), rel=1e-6)


# --- the objectives ---------------------------------------------------------------------------
def test_registry():
    assert PRETRAINERS == {"infograph": InfoGraphLoss, "graphcl": GraphCLLoss}


def test_infograph_loss_uses_its_two_feed_forward_heads(tiny):
    torch.manual_seed(0)
    b = tiny.batch(np.arange(5))
    enc, obj = SumEncoder(tiny.num_features), InfoGraphLoss(4)
    g, h = enc(b)

    def ff(net, x):  # three Linear-ReLU layers plus a linear shortcut
        blk = net.block
        out = x
        for lin in (blk[0], blk[2], blk[4]):
            out = torch.relu(lin(out))
        return out + net.shortcut(x)

    want = infograph_reference(ff(obj.local, h), ff(obj.glob, g), b.batch)
    loss = obj(enc, b)
    assert loss.item() == pytest.approx(want, rel=1e-5)
    loss.backward()
    for m in (enc, obj.local, obj.glob):
        assert all(p.grad is not None for p in m.parameters())


@pytest.mark.parametrize("augmentations", [("remove_edge",), ("mask_node", "remove_edge")])
def test_graphcl_with_ratio_zero_compares_two_identical_views(tiny, augmentations):
    torch.manual_seed(0)
    b = tiny.batch(np.arange(6))
    enc = SumEncoder(tiny.num_features)
    obj = GraphCLLoss(4, augmentations=augmentations, ratio=0.0, tau=0.5)
    loss = obj(enc, b)
    for x, ei in enc.calls:  # nothing masked, nothing removed
        assert torch.equal(x, b.x) and torch.equal(ei, b.edge_index)
    p = obj.proj(enc(b)[0]).detach()
    assert loss.item() == pytest.approx(nt_xent_loop(p.double().numpy(), p.double().numpy(),
                                                     0.5), rel=1e-5)


def test_graphcl_fully_masked_views_give_log_of_negatives(tiny):
    torch.manual_seed(0)
    b = tiny.batch(np.arange(7))
    enc = SumEncoder(tiny.num_features, bias=False)  # zero features -> zero graph codes
    obj = GraphCLLoss(4, augmentations=("mask_node",), ratio=1.0)
    loss = obj(enc, b)
    assert len(enc.calls) == 2 and all((x == 0).all() for x, _ in enc.calls)
    # every projection is proj(0), so every cosine is 1: log(B - 1)
    assert loss.item() == pytest.approx(math.log(6), rel=1e-5)


def test_graphcl_draws_one_augmentation_per_view(tiny, monkeypatch):
    used: list[str] = []
    for name in ("mask_node", "remove_edge"):
        fn = AUGMENTATIONS[name]
        monkeypatch.setitem(AUGMENTATIONS, name,
                            lambda b, r, fn=fn, name=name: used.append(name) or fn(b, r))
    torch.manual_seed(0)
    b = tiny.batch(np.arange(4))
    obj = GraphCLLoss(4)
    assert obj.augmentations == ("mask_node", "remove_edge") and obj.ratio == 0.2
    for _ in range(12):
        obj(SumEncoder(tiny.num_features), b)
    pairs = list(zip(used[::2], used[1::2]))
    assert len(used) == 24 and len(set(pairs)) > 2  # views of one step may differ


def test_graphcl_refuses_unknown_augmentation():
    with pytest.raises(ValueError, match=r"augmentation 'drop_subgraph'; expected one of "
                                         r"\['mask_node', 'remove_edge'\]"):
        GraphCLLoss(4, augmentations=("mask_node", "drop_subgraph"))


# --- the training loop ------------------------------------------------------------------------
class Recorder:
    """A batcher that records the graph ids of every chunk it is asked for."""

    def __init__(self, coll) -> None:
        self.coll, self.chunks = coll, []

    def __call__(self, ids):
        self.chunks.append(ids.tolist())
        return self.coll.batch(ids)


def test_pretrain_encoder_batches_epochs_and_summary(tiny):
    torch.manual_seed(0)
    ids = np.arange(10, 30)
    enc, obj = SumEncoder(tiny.num_features), InfoGraphLoss(4)
    enc.eval(), obj.eval()
    before = {m: [p.detach().clone() for p in m.parameters()]
              for m in (enc, obj.local, obj.glob)}
    rec = Recorder(tiny)
    out = pretrain_encoder(enc, obj, rec, ids, epochs=3, lr=0.01, batch_size=8,
                           rng=np.random.default_rng(5))
    assert set(out) == {"pretrain_loss", "pretrain_seconds"} and out["pretrain_seconds"] >= 0
    assert len(out["pretrain_loss"]) == 3 and all(np.isfinite(out["pretrain_loss"]))
    rng = np.random.default_rng(5)  # the same permutations, cut 8 + 8 + 4
    want = []
    for _ in range(3):
        order = ids[rng.permutation(20)]
        want += [order[:8].tolist(), order[8:16].tolist(), order[16:].tolist()]
    assert rec.chunks == want
    assert enc.training and obj.training
    # the optimiser steps the encoder and both heads (a head may have a dead ReLU unit)
    assert all(not torch.equal(a, b) for a, b in zip(before[enc], enc.parameters()))
    for head in (obj.local, obj.glob):
        assert any(not torch.equal(a, b) for a, b in zip(before[head], head.parameters()))


def test_pretrain_encoder_loss_is_the_mean_over_graphs(tiny):
    """With lr = 0 nothing changes: an epoch's loss is the size-weighted mean of its batches'
    losses, here recomputed from the recorded chunks."""
    torch.manual_seed(0)
    ids = np.arange(12)
    enc, obj = SumEncoder(tiny.num_features), InfoGraphLoss(4)
    before = [p.detach().clone() for p in enc.parameters()]
    rec = Recorder(tiny)
    out = pretrain_encoder(enc, obj, rec, ids, epochs=2, lr=0.0, batch_size=5,
                           rng=np.random.default_rng(0), weight_decay=0.1)
    assert all(torch.equal(a, b) for a, b in zip(before, enc.parameters()))
    with torch.no_grad():
        per_chunk = [(obj(enc, tiny.batch(np.array(c))).item(), len(c)) for c in rec.chunks]
    assert [n for _, n in per_chunk] == [5, 5, 2] * 2
    for e in range(2):
        chunks = per_chunk[3 * e:3 * e + 3]
        want = sum(v * n for v, n in chunks) / 12
        assert out["pretrain_loss"][e] == pytest.approx(want, rel=1e-5)


def test_pretrain_encoder_loss_ignores_a_dropped_single_graph(tiny):
    # the epoch loss is the mean over the graphs trained on, as in fit (graphcls/train.py)
    torch.manual_seed(0)
    ids = np.arange(7)  # chunks of 3, 3 and a dropped 1
    enc, obj = SumEncoder(tiny.num_features), InfoGraphLoss(4)
    rec = Recorder(tiny)
    out = pretrain_encoder(enc, obj, rec, ids, epochs=1, lr=0.0, batch_size=3,
                           rng=np.random.default_rng(0))
    assert [len(c) for c in rec.chunks] == [3, 3]
    with torch.no_grad():
        want = sum(obj(enc, tiny.batch(np.array(c))).item() * 3 for c in rec.chunks) / 6
    assert out["pretrain_loss"][0] == pytest.approx(want, rel=1e-5)


def test_pretrain_encoder_zero_epochs(tiny):
    enc = SumEncoder(tiny.num_features)
    out = pretrain_encoder(enc, InfoGraphLoss(4), Recorder(tiny), np.arange(4), epochs=0,
                           lr=0.1, batch_size=2, rng=np.random.default_rng(0))
    assert out["pretrain_loss"] == []


# --- the cached pre-training of a run (pretrain_embeddings, pretrain_key) ---------------------
PRE_BASE = {"model": {"name": "gin", "hidden": 8, "layers": 2},
            "params": {"pretrain": {"epochs": 2, "batch_size": 32}},
            "train": {"epochs": 3, "patience": 3, "lr": 0.01, "batch_size": 16}}


def pre_method(kind: str, balance: dict | None = None, label: str = "m") -> dict:
    return {**PRE_BASE, "label": label, "kind": kind, "balance": balance or {}}


@pytest.fixture
def pre_setup(tiny_run):
    return tiny_run


@pytest.mark.parametrize("kind", ["infograph", "graphcl"])
def test_pretrain_embeddings_is_a_function_of_its_seed(pre_setup, kind):
    from imbgraph.graphcls.pretrain import pretrain_embeddings

    coll, pe, split = pre_setup
    m = pre_method(kind)
    emb0, s0 = pretrain_embeddings(coll, pe, split, m, seed=0, device="cpu")
    torch.manual_seed(123), torch.rand(5)  # the global stream before it does not matter
    emb1, _ = pretrain_embeddings(coll, pe, split, m, seed=1, device="cpu")
    again, s0b = pretrain_embeddings(coll, pe, split, m, seed=0, device="cpu")
    assert emb0.dtype == np.float32 and emb0.shape == (coll.num_graphs, 8)
    assert np.isfinite(emb0).all() and np.array_equal(emb0, again)
    assert not np.array_equal(emb0, emb1)
    assert s0["pretrain_loss"] == s0b["pretrain_loss"] and len(s0["pretrain_loss"]) == 2
    assert s0["pretrain_graphs"] == np.unique(np.concatenate([split.train, split.val])).size
    assert s0["seconds"] >= s0["pretrain_seconds"] >= 0


def test_pretrain_embeddings_reads_only_the_spec(pre_setup):
    """A resolved method and its config spec give the same embeddings; the balance and the
    head's training do not enter (the -up / -rw rows share one pre-training)."""
    from imbgraph.graphcls.config import pretrain_spec
    from imbgraph.graphcls.pretrain import pretrain_embeddings

    coll, pe, split = pre_setup
    up = pre_method("infograph", {"upsample": True})
    rw = {**pre_method("infograph", {"class_weights": "inverse"}), "train": {"epochs": 9}}
    a, _ = pretrain_embeddings(coll, pe, split, up, seed=2, device="cpu")
    b, _ = pretrain_embeddings(coll, pe, split, rw, seed=2, device="cpu")
    c, _ = pretrain_embeddings(coll, pe, split, pretrain_spec(up, 3), seed=2, device="cpu")
    assert np.array_equal(a, b) and np.array_equal(a, c)
    with pytest.raises(ValueError, match="kind = 'supervised' has no pre-training"):
        pretrain_embeddings(coll, pe, split, {**up, "kind": "supervised"}, seed=0)


@pytest.mark.parametrize("kind, balance", [("infograph", {"upsample": True}),
                                           ("graphcl", {"class_weights": "inverse"})])
def test_run_with_cached_embeddings_equals_pretraining_inline(pre_setup, kind, balance):
    from imbgraph.graphcls.job import run_method
    from imbgraph.graphcls.pretrain import pretrain_embeddings

    coll, pe, split = pre_setup
    m = pre_method(kind, balance)
    inline_m, inline_s = run_method(coll, pe, split, m, seed=1, device="cpu", progress=False)
    emb, pre = pretrain_embeddings(coll, pe, split, m, seed=1, device="cpu")
    cached_m, cached_s = run_method(coll, pe, split, m, seed=1, device="cpu", progress=False,
                                    cached={"pretrain": (emb, pre)})
    assert cached_m == inline_m
    assert cached_s["val_loss"] == inline_s["val_loss"]
    assert cached_s["train_loss"] == inline_s["train_loss"]
    assert inline_s["pretrain_cached"] is False and cached_s["pretrain_cached"] is True
    assert cached_s["pretrain_seconds"] == pre["pretrain_seconds"]
    assert cached_s["pretrain_loss"] == inline_s["pretrain_loss"] == pre["pretrain_loss"]
    with pytest.raises(ValueError, match=r"embeddings of shape \(3, 8\)"):
        run_method(coll, pe, split, m, seed=1, device="cpu", cached={"pretrain": (emb[:3], pre)})


def test_pretrain_embeddings_feeds_the_laplacian_branch(pre_setup):
    """A model with UniImb's LapPE branch gets its batch's Laplacian statistics, as in
    run_method: the cached and the inline pre-training agree there too."""
    from imbgraph.graphcls.job import run_method
    from imbgraph.graphcls.pretrain import pretrain_embeddings

    coll, pe, split = pre_setup
    m = pre_method("infograph")
    m["model"] = {**m["model"], "lap_branch": "official"}
    emb, pre = pretrain_embeddings(coll, pe, split, m, seed=0, device="cpu")
    plain, _ = pretrain_embeddings(coll, pe, split, pre_method("infograph"), seed=0, device="cpu")
    assert np.isfinite(emb).all() and not np.array_equal(emb, plain)
    inline, _ = run_method(coll, pe, split, m, seed=0, device="cpu", progress=False)
    cached, _ = run_method(coll, pe, split, m, seed=0, device="cpu", progress=False,
                           cached={"pretrain": (emb, pre)})
    assert cached == inline
