"""``cluster_features``: "GraphSAGE (Cluster Features)" of ECGN's Table 2, the method's model
on the features with the node's one-hot METIS cluster id appended."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from imbgraph.nodecls.job import fit_full_batch, full_batch, run_summary, score_test, setup_run
from imbgraph.nodecls.methods.base import MethodInputs
from imbgraph.nodecls.methods.plain import Plain

__all__ = ["run"]


def run(inputs: MethodInputs) -> tuple[dict[str, Any], dict[str, Any]]:
    """The job: k one-hot columns appended to x, then plain full-batch training."""
    graph, k = inputs.graph, int(inputs.params["clusters"])
    run = setup_run(inputs)
    onehot = F.one_hot(torch.as_tensor(inputs.cached["clusters"], device=run.device), k)
    x = torch.cat([run.x, onehot.to(run.x.dtype)], dim=1)
    model = Plain(inputs.backbone(x.shape[1]), inputs.criterion).to(run.device)
    batch = full_batch(x, run.edge_index, run, graph.num_classes)
    result, proba = fit_full_batch(model, batch, run, inputs.progress)
    return (score_test(graph, inputs.split, proba, result.best_epoch),
            run_summary(run, result, clusters=k))
