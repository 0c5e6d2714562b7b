"""Tests of imbgraph.graphcls.models: shapes, and a graph's embedding does not depend on the
other graphs of its batch (batching is exact) for GIN and GraphGPS."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.errors import ConfigError
from imbgraph.graphcls.models import GINEncoder, build_encoder

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("model", [
    {"name": "gin", "hidden": 16, "layers": 3, "pe_mode": "path"},
    {"name": "gin", "hidden": 16, "layers": 2, "pe_mode": "add", "readout": "mean"},
    {"name": "gps", "hidden": 16, "layers": 2, "heads": 4},
])
def test_batch_invariance(tiny, model):
    torch.manual_seed(0)
    pe = np.random.default_rng(0).random((tiny.num_nodes, 3)).astype(np.float32)
    enc = build_encoder(model, tiny.num_features, 3).eval()
    with torch.no_grad():
        g, h = enc(tiny.batch([4, 7, 9], pe))
        alone, _ = enc(tiny.batch([7], pe))
    assert g.shape == (3, 16) and h.shape[1] == 16
    torch.testing.assert_close(g[1], alone[0], rtol=1e-4, atol=1e-4)


def test_repr_and_errors():
    assert "layers=3" in repr(GINEncoder(5, 2, hidden=8, layers=3))
    with pytest.raises(ValueError, match="readout"):
        GINEncoder(5, 0, readout="max")
    with pytest.raises(ConfigError, match="model name = 'mlp'"):
        build_encoder({"name": "mlp"}, 3, 0)


# --- GINLayer = PyG's GINConv; UniImb's LapPE branch = its literal computation ------------


class _PyGReference(torch.nn.Module):
    """The GIN encoder written with PyG's GINConv / pools (what GINEncoder computed before
    its layers became CSR products), the parameters of ``enc`` shared."""

    def __init__(self, enc: GINEncoder) -> None:
        super().__init__()
        from torch_geometric.nn import GINConv

        self.enc = enc
        state = {k: v.clone() for k, v in enc.state_dict().items()}
        self.convs = [GINConv(c.nn) for c in enc.convs]  # (GINConv re-initialises its nn)
        self.pe_convs = [GINConv(c.nn) for c in getattr(enc, "pe_convs", [])]
        enc.load_state_dict(state)

    def forward(self, b, x=None, edge_index=None):
        from torch_geometric.nn import global_add_pool, global_mean_pool

        enc = self.enc
        x = b.x if x is None else x
        ei = b.edge_index if edge_index is None else edge_index
        pe = None
        if enc.pe_mode != "none":
            pe = enc.pe_in(b.pe)
            x = x + pe
        for i, conv in enumerate(self.convs):
            if i > 0 and enc.pe_mode == "path":
                pe = self.pe_convs[i - 1](pe, ei)
                x = x + pe
            x = conv(x, ei)
        pool = global_add_pool if enc.readout == "sum" else global_mean_pool
        return pool(x, b.batch, size=b.num_graphs), x


def _grads(module: torch.nn.Module, out: torch.Tensor, w: torch.Tensor) -> dict:
    module.zero_grad()
    (out * w).sum().backward()
    return {k: p.grad.clone() for k, p in module.named_parameters() if p.grad is not None}


@pytest.mark.parametrize("pe_mode,readout,drop", [
    ("path", "sum", False), ("path", "sum", True), ("add", "mean", False), ("none", "sum", True)])
def test_gin_layers_equal_pyg_ginconv(tiny, pe_mode, readout, drop):
    """Same parameters -> the same outputs and gradients as PyG's GINConv on the batch's own
    (symmetric) edge list and on a one-directional subset (an augmented view), train mode."""
    torch.manual_seed(1)
    pe = np.random.default_rng(0).random((tiny.num_nodes, 3)).astype(np.float32)
    enc = GINEncoder(tiny.num_features, 3, hidden=16, layers=3, pe_mode=pe_mode,
                     readout=readout).train()
    ref = _PyGReference(enc)
    b = tiny.batch([4, 7, 9, 7, 30], pe)
    ei = b.edge_index[:, torch.rand(b.edge_index.shape[1]) < 0.6] if drop else None
    w = torch.randn(b.num_graphs, 16)
    g, h = enc(b, edge_index=ei)
    g_ref, h_ref = ref(b, edge_index=ei)
    torch.testing.assert_close(g, g_ref, rtol=1e-6, atol=1e-5)
    torch.testing.assert_close(h, h_ref, rtol=1e-6, atol=1e-5)
    got, want = _grads(enc, g, w), _grads(enc, ref(b, edge_index=ei)[0], w)
    assert got.keys() == want.keys() and len(got) == len(list(enc.parameters()))
    for k in got:
        torch.testing.assert_close(got[k], want[k], rtol=1e-5, atol=1e-5, msg=k)
    # the layers keep GINConv's state-dict names (checkpoints load either way)
    from torch_geometric.nn import GINConv

    conv = GINConv(torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3)))
    mine = type(enc.convs[0])(torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3)))
    assert set(conv.state_dict()) == set(mine.state_dict())
    mine.load_state_dict(conv.state_dict())


def _official_lap_pe(enc: GINEncoder, b) -> torch.Tensor:
    """UniImb's backbone/GIN.py LapPE lines, literally: per graph the eigendecomposition of
    the unnormalised Laplacian (transform.EVD_Laplacian), densified per node (to_dense_list_EVD,
    without torch_scatter), eigVmlp(V) + eigVmlp(-V) + eigSmlp(lam), masked, summed, MLP."""
    from torch_geometric.utils import get_laplacian, to_undirected

    vals, vecs = [], []
    for g in range(b.num_graphs):
        lo, hi = int(b.ptr[g]), int(b.ptr[g + 1])
        n = hi - lo
        keep = (b.edge_index[0] >= lo) & (b.edge_index[0] < hi)
        ei = b.edge_index[:, keep] - lo
        idx, wt = get_laplacian(to_undirected(ei, num_nodes=n), normalization=None, num_nodes=n)
        lap = torch.zeros(n, n).index_put_((idx[0], idx[1]), wt, accumulate=True)
        d, v = torch.linalg.eigh(lap)
        vals.append(d)
        vecs.append(v.reshape(-1))
    eig_s, eig_v, batch = torch.cat(vals), torch.cat(vecs), b.batch
    # transform.to_dense_EVD / to_dense_list_EVD
    sizes = torch.bincount(batch, minlength=b.num_graphs)
    cum = torch.cat([sizes.new_zeros(1), sizes.cumsum(0)])
    nmax, bsz = int(sizes.max()), b.num_graphs
    idx = torch.arange(batch.shape[0]) - cum[batch] + batch * nmax
    s_dense = eig_s.new_zeros(bsz * nmax)
    s_dense[idx] = eig_s
    s_dense = s_dense.view(bsz, nmax)
    mask = torch.zeros(bsz * nmax, dtype=torch.bool)
    mask[idx] = True
    mask = mask.view(bsz, nmax)
    v_dense = eig_v.new_zeros(bsz * nmax * nmax)
    v_dense[(mask[:, :, None] & mask[:, None, :]).reshape(-1)] = eig_v
    v_dense = v_dense.view(bsz, nmax, nmax)
    eig_s_dense = s_dense[:, None, :].repeat(1, nmax, 1)[mask]
    eig_v_dense = v_dense[mask]
    # backbone/GIN.py
    node_mask = (torch.arange(nmax)[None, :] < sizes[:, None])[batch]
    sv, vv = eig_s_dense.unsqueeze(-1), eig_v_dense.unsqueeze(-1)
    eig = enc.eigVmlp(vv) + enc.eigVmlp(-vv) + enc.eigSmlp(sv)
    eig[~node_mask] = 0
    return enc.MLPbackbone(eig.sum(dim=1))


def _official_forward(enc: GINEncoder):
    """UniImb's GIN.forward with 5 layers (PyG GINConv, segment sum), the parameters of enc."""
    from torch_geometric.nn import GINConv, global_add_pool

    state = {k: v.clone() for k, v in enc.state_dict().items()}
    convs = [GINConv(c.nn) for c in enc.convs]  # (GINConv re-initialises its nn)
    conps = [GINConv(c.nn) for c in enc.pe_convs]
    enc.load_state_dict(state)

    def forward(b) -> torch.Tensor:
        rw = enc.pe_in(b.pe)
        x = convs[0](b.x + rw, b.edge_index)
        x = x + _official_lap_pe(enc, b)
        for i in range(1, 5):
            rw = conps[i - 1](rw, b.edge_index)
            x = convs[i](x + rw, b.edge_index)
        return global_add_pool(x, b.batch, size=b.num_graphs)

    return forward


def test_lap_branch_equals_official_computation(tiny):
    from imbgraph.graphcls.encodings import laplacian_spectrum_stats

    torch.manual_seed(2)
    pe = np.random.default_rng(0).random((tiny.num_nodes, 3)).astype(np.float32)
    lap = laplacian_spectrum_stats(tiny)
    enc = GINEncoder(tiny.num_features, 3, hidden=8, layers=5, lap_branch="official").train()
    official = _official_forward(enc)
    b = tiny.batch([3, 11, 0, 25, 11], pe, lap=lap)
    fast, slow = enc.lap_pe(b), _official_lap_pe(enc, b)
    assert fast.shape == (b.x.shape[0], 8)
    torch.testing.assert_close(fast, slow, rtol=1e-4, atol=1e-3)
    w = torch.randn(b.num_graphs, 8)
    g = enc(b)[0]
    g_official = official(b)
    torch.testing.assert_close(g, g_official, rtol=1e-4, atol=1e-3)
    got, want = _grads(enc, g, w), _grads(enc, official(b), w)
    assert got.keys() == want.keys()
    scale = max(v.abs().max().item() for v in want.values())  # float32 sums of ~100 terms
    for k in got:  # (biases before a BatchNorm have gradient 0 but for rounding, in both)
        torch.testing.assert_close(got[k], want[k], rtol=1e-3, atol=1e-5 * scale, msg=k)
    # the eigenvector terms cancel: eigVmlp's weight gets a zero gradient in both
    assert not got["eigVmlp.weight"].any()
    assert want["eigVmlp.weight"].abs().max() < 1e-4


def test_lap_branch_batch_invariance_and_errors(tiny):
    from imbgraph.graphcls.encodings import laplacian_spectrum_stats

    torch.manual_seed(0)
    pe = np.random.default_rng(0).random((tiny.num_nodes, 3)).astype(np.float32)
    lap = laplacian_spectrum_stats(tiny)
    enc = build_encoder({"name": "gin", "hidden": 16, "layers": 3, "lap_branch": "official"},
                        tiny.num_features, 3).eval()
    with torch.no_grad():
        g, _ = enc(tiny.batch([4, 7, 9], pe, lap=lap))
        alone, _ = enc(tiny.batch([7], pe, lap=lap))
    torch.testing.assert_close(g[1], alone[0], rtol=1e-4, atol=1e-4)
    assert "lap_branch=official" in repr(enc)
    with pytest.raises(ValueError, match="needs the batch's lap"):
        enc(tiny.batch([4], pe))
    with pytest.raises(ValueError, match="lap_branch"):
        GINEncoder(5, 2, lap_branch="eig")


def test_reset_parameters(tiny):
    torch.manual_seed(0)
    enc = GINEncoder(tiny.num_features, 3, hidden=8, layers=3, lap_branch="official")
    fresh = {k: v.clone() for k, v in enc.state_dict().items()}
    with torch.no_grad():
        for t in enc.state_dict().values():
            t.add_(3)
    enc.reset_parameters()
    after = enc.state_dict()
    for k, v in fresh.items():
        if ".nn.1." in k:  # BatchNorm: weight 1, bias 0, running mean 0 / var 1, count 0
            assert torch.equal(after[k], v), k
        elif k.endswith("eps"):
            assert float(after[k]) == 0.0
        else:  # Linear layers: redrawn
            assert not torch.equal(after[k], v) and not torch.equal(after[k], v + 3), k
    for m in enc.modules():
        assert m is enc or not list(m.parameters(recurse=False)) or hasattr(
            m, "reset_parameters"), m


def test_seeded_initialisation_as_with_pyg_ginconv():
    """GINLayer draws its parameters as GINConv did (it re-initialises its MLP on
    construction), so a seeded encoder starts from the same weights as before."""
    from torch_geometric.nn import GINConv

    from imbgraph.graphcls.models import _gin_mlp

    torch.manual_seed(5)
    enc = GINEncoder(4, 3, hidden=16, layers=3, pe_mode="path")
    torch.manual_seed(5)
    convs = [GINConv(_gin_mlp(4 if i == 0 else 16, 16)) for i in range(3)]  # old __init__
    pe_in = torch.nn.Linear(3, 4)
    pe_convs = [GINConv(_gin_mlp(4 if i == 0 else 16, 16)) for i in range(2)]
    old = {f"pe_in.{k}": v for k, v in pe_in.state_dict().items()}
    for name, mods in (("convs", convs), ("pe_convs", pe_convs)):
        for i, m in enumerate(mods):
            old |= {f"{name}.{i}.{k}": v for k, v in m.state_dict().items()}
    new = enc.state_dict()
    assert new.keys() == old.keys()
    for k in new:
        assert torch.equal(new[k], old[k]), k
