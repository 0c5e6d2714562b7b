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
