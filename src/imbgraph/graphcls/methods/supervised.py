"""``supervised``: an encoder and an MLP head trained with cross-entropy: the GIN and GraphGPS
rows, "+ up-sampling" and "+ re-weight" through the method's ``balance`` (the job's). With
``params.augment`` the loss is G2GNN's: the mean NLL over ``views`` augmented copies of the
batch plus the consistency of their predictions with their sharpened mean, and prediction
averages the views' log-probabilities.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.augment import AUGMENTATIONS
from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.models import MLPHead
from imbgraph.graphcls.train import Learner

__all__ = ["Supervised", "Views", "build", "consistency_loss"]


def consistency_loss(logps: list[torch.Tensor], temp: float = 0.5) -> torch.Tensor:
    """G2GNN's consistency term: mean over views of ||p_v - sharpen(mean_v p_v)||^2 per graph,
    the sharpened mean p^(1/temp) / sum p^(1/temp) held fixed (no gradient)."""
    ps = [lp.exp() for lp in logps]
    avg = torch.stack(ps).mean(dim=0)
    sharp = avg.pow(1.0 / temp)
    sharp = (sharp / sharp.sum(dim=1, keepdim=True)).detach()
    return torch.stack([(p - sharp).pow(2).sum(dim=1).mean() for p in ps]).mean()


class Views:
    """``views`` augmented copies of a batch by one augmentation (G2GNN's ``aug_num``); the
    batch itself when ``augment`` is None. Settings not given take the method table's
    defaults (``blocks["augment"]``)."""

    def __init__(self, augment: dict | None) -> None:
        self.cfg = None if augment is None else {**METHODS["supervised"].blocks["augment"],
                                                 **augment}
        if self.cfg is not None and self.cfg["name"] not in AUGMENTATIONS:
            raise ValueError(f"augment name = {self.cfg['name']!r}; expected one of "
                             f"{sorted(AUGMENTATIONS)}")

    def __call__(self, b: GraphBatch) -> list[tuple[torch.Tensor, torch.Tensor]]:
        if self.cfg is None:
            return [(b.x, b.edge_index)]
        fn = AUGMENTATIONS[self.cfg["name"]]
        return [fn(b, float(self.cfg["ratio"])) for _ in range(int(self.cfg["views"]))]


class Supervised(Learner):
    """Encoder + MLP head, (class-weighted) NLL over the augmented views of a batch, plus
    G2GNN's consistency term when there are several.

    Args:
        encoder: a graph encoder (:meth:`MethodInputs.backbone`) with a ``hidden`` width.
        n_classes: C.
        weight: (C,) class weights of the NLL, or None.
        head_dropout: dropout of the head (default: 0.5).
        augment: ``{name, ratio, views, temp, consistency}`` or None (default: None).

    Shapes:
        - **loss:** GraphBatch of B graphs -> scalar
        - **log_proba:** GraphBatch of B graphs -> (B, C)
    """

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 head_dropout: float = 0.5, augment: dict | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = MLPHead(encoder.hidden, n_classes, head_dropout)
        self.register_buffer("weight", weight)
        self.views = Views(augment)
        self.temp = float((self.views.cfg or {}).get("temp", 0.5))
        self.consistency = float((self.views.cfg or {}).get("consistency", 1.0))

    def _logps(self, b: GraphBatch) -> list[torch.Tensor]:
        return [F.log_softmax(self.head(self.encoder(b, x=x, edge_index=ei)[0]), dim=1)
                for x, ei in self.views(b)]

    def loss(self, b) -> torch.Tensor:
        logps, y = self._logps(b), self.labels(b)
        loss = torch.stack([F.nll_loss(lp, y, weight=self.weight) for lp in logps]).mean()
        if len(logps) > 1 and self.consistency:
            loss = loss + self.consistency * consistency_loss(logps, self.temp)
        return loss

    def log_proba(self, b) -> torch.Tensor:
        # G2GNN predicts with the mean of its augmented views' log-probabilities.
        return torch.stack(self._logps(b)).mean(dim=0)


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p = inputs.params
    learner = Supervised(encoder, inputs.num_classes, inputs.class_weight,
                         head_dropout=float(p["head_dropout"]), augment=p.get("augment"))
    return learner, graph_batch
