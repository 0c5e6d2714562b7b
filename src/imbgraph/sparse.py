"""Sparse products both GNN families use: CSR matrices built without torch's beta warning,
and A @ x with a constant A whose transpose the caller keeps (task-neutral; the node family's
adjacency operators and the graph family's GIN layers build on it)."""

from __future__ import annotations

import warnings

import torch

__all__ = ["csr", "SpMM"]


def csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor,
        size: tuple[int, int]) -> torch.Tensor:
    """A ``torch.sparse_csr_tensor`` of ``size`` (no invariant check: callers build sorted
    rows)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(crow, col, values, size=size)


class SpMM(torch.autograd.Function):
    """A @ x for a constant CSR matrix A whose transpose is given too: torch's own backward
    of ``torch.sparse.mm`` re-sorts A into A^T at every call. ``SpMM.apply(a, a_t, x)``."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, a_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.a_t = a_t
        return torch.sparse.mm(a, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, None, torch.sparse.mm(ctx.a_t, grad)
