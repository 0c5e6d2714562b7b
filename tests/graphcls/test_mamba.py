"""GraphMamba: the selective scan against the step-by-step recurrence, the node order and
the packed sequences' resets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.mamba import (
    GraphMambaEncoder,
    MambaBlock,
    degree_order,
    linear_scan,
    selective_scan,
)


def _loop_scan(u, dt, A, B, C, D, starts=()):
    """Mamba's recurrence step by step: h_t = exp(dt A) h_{t-1} + dt B u, y = C h + D u."""
    h = torch.zeros(A.shape)
    ys = []
    for t in range(u.shape[0]):
        if t in starts:
            h = torch.zeros(A.shape)
        h = torch.exp(dt[t, :, None] * A) * h + dt[t, :, None] * B[t] * u[t, :, None]
        ys.append((h * C[t]).sum(-1) + D * u[t])
    return torch.stack(ys)


def _inputs(L=23, d=3, n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(L, d, generator=g), torch.rand(L, d, generator=g) * 0.5,
            -torch.rand(d, n, generator=g) * 4 - 0.1, torch.randn(L, n, generator=g),
            torch.randn(L, n, generator=g), torch.randn(d, generator=g))


def test_selective_scan_equals_the_recurrence():
    args = _inputs()
    assert torch.allclose(selective_scan(*args), _loop_scan(*args), atol=1e-5)


def test_selective_scan_gradients_equal_the_recurrences():
    args = [t.requires_grad_() for t in _inputs(L=9, seed=1)]
    g1 = torch.autograd.grad(selective_scan(*args).square().sum(), args)
    g2 = torch.autograd.grad(_loop_scan(*args).square().sum(), args)
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, atol=1e-4, rtol=1e-4)


def test_reset_starts_each_sequence_from_a_zero_state():
    args = _inputs(L=17, seed=2)
    reset = torch.zeros(17, dtype=torch.bool)
    reset[[0, 6, 7, 12]] = True
    assert torch.allclose(selective_scan(*args, reset=reset),
                          _loop_scan(*args, starts=(0, 6, 7, 12)), atol=1e-5)


def _loop_linear(alpha, b, reverse=False):
    steps = range(b.shape[0] - 1, -1, -1) if reverse else range(b.shape[0])
    s, out = torch.zeros(b.shape[1:], dtype=b.dtype), [None] * b.shape[0]
    for t in steps:
        s = alpha[t] * s + b[t]
        out[t] = s
    return torch.stack(out)


@pytest.mark.parametrize("L", [1, 2, 5, 16, 17, 300])
@pytest.mark.parametrize("reverse", [False, True])
def test_linear_scan_equals_the_loop_at_every_length(L, reverse):
    # lengths that are and are not multiples of the chunk (isqrt(L)), strong decays and resets
    g = torch.Generator().manual_seed(L)
    alpha, b = (-torch.rand(L, 2, 3, generator=g) * 30).exp(), torch.randn(L, 2, 3, generator=g)
    alpha[::7] = 0.0
    ref = _loop_linear(alpha, b, reverse)
    assert torch.allclose(linear_scan(alpha, b.clone(), reverse=reverse), ref, atol=1e-5)
    # from a given state: the loop over [init step, b]
    init = torch.randn(2, 3, generator=g)
    ext_a = torch.cat([alpha, torch.ones(1, 2, 3)]) if reverse else torch.cat([torch.ones(1, 2, 3), alpha])
    ext_b = torch.cat([b, init[None]]) if reverse else torch.cat([init[None], b])
    ref = _loop_linear(ext_a, ext_b, reverse)
    ref = ref[:-1] if reverse else ref[1:]
    assert torch.allclose(linear_scan(alpha, b.clone(), reverse=reverse, init=init), ref, atol=1e-5)


def test_selective_scan_gradients_with_resets_equal_the_recurrences():
    args = [t.double().requires_grad_() for t in _inputs(L=40, seed=4)]
    starts = (0, 3, 4, 19, 39)
    reset = torch.zeros(40, dtype=torch.bool)
    reset[list(starts)] = True
    g1 = torch.autograd.grad(selective_scan(*args, reset=reset).sin().sum(), args)
    g2 = torch.autograd.grad(_loop_scan(*args, starts=starts).sin().sum(), args)
    for a, b in zip(g1, g2):
        assert torch.allclose(a, b, atol=1e-10)
    assert torch.autograd.gradcheck(lambda *a: selective_scan(*a, reset=reset), args)


def test_block_does_not_mix_sequences():
    torch.manual_seed(0)
    block = MambaBlock(8, d_state=4)
    x = torch.randn(10, 8)
    pos = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 4, 5])
    both = block(x, pos)
    assert torch.allclose(both[:4], block(x[:4], pos[:4]), atol=1e-6)
    assert torch.allclose(both[4:], block(x[4:], pos[4:] ), atol=1e-6)


def test_degree_order_sorts_by_graph_then_degree(tiny_run):
    coll, pe, _ = tiny_run
    b = coll.batch(np.array([3, 80]), pe)
    perm = degree_order(b, b.edge_index, b.x.shape[0])
    assert sorted(perm.tolist()) == list(range(b.x.shape[0]))
    deg = torch.bincount(b.edge_index[0], minlength=b.x.shape[0])
    assert (b.batch[perm].diff() >= 0).all()
    same = b.batch[perm][1:] == b.batch[perm][:-1]
    assert (deg[perm].diff()[same] >= 0).all()


def test_encoder_shapes_and_eval_averages(tiny_run):
    coll, pe, _ = tiny_run
    torch.manual_seed(0)
    enc = GraphMambaEncoder(coll.num_features, pe.shape[1], hidden=8, layers=2)
    b = coll.batch(np.array([0, 5, 70]), pe)
    g, h = enc(b)
    assert g.shape == (3, 8) and h.shape == (b.x.shape[0], 8)
    enc.eval()
    assert torch.isfinite(enc(b)[0]).all()
