"""``imgkb``: ImGKB (KGIB; Xu et al., "Class-Imbalanced Graph Classification via Graph Kernel
Information Bottleneck"; UniImb's tables print it "ImbGKB"), as IGL-Bench reimplements it
(RingBDStack/IGL-Bench, ``IGL_Bench/algorithm/ImGKB``: model.py ``KGIB``, kernel.py ``KerRW``,
inforneck.py ``InBo`` / ``MI_Est`` / ``Attention``, loss.py ``Loss``, layers.py ``MLP``;
config/graph/class/ImGKB.yml).

Steps, each after the file named:

* **Layers** (model.py ``forward``): the GNN's node embeddings after each of its L layers are
  mean-pooled per graph, h_G^l (B, h); layer 0 is the mean of the input map
  Linear(F, 32)-Dropout(0.5)-ReLU-Linear(32, h)-ReLU of the node features.
* **Random-walk kernel with hidden graphs** (kernel.py ``KerRW``), per layer: ``hidden_graphs``
  trainable graphs of ``size_hidden_graphs`` nodes, adjacency A_j = ReLU of the upper-triangle
  parameters, symmetrised (zero diagonal), node features Z_j (s, h). For step p = 1..
  ``max_step``: k_j^p(x) = sum_a (Z_j x)_a ((A_j^p Z_j) x)_a = (Z_j x)^T A_j^p (Z_j x), the
  p-step random-walk kernel between graph embedding x and hidden graph j; out (B, m x P) the
  steps side by side.
* **Information bottleneck** (inforneck.py): an attention over the steps (Linear(m, 16)-ReLU-
  Linear(16, 1), softmax over steps) gives h^_G (B, m); the Donsker-Varadhan estimate
  I(h_G; h^_G) = mean T(h_G, h^_G) + log mean exp T(h_G, h^_G[perm]) with the critic
  T = ReLU(Linear(h + m, 1)(ReLU(Linear(h + m, h + m)(.)))) (one critic for all layers,
  shuffled partners by a random permutation; + 1e-10 as the code), summed over layers.
* **Prediction** (model.py): the sum over layers 0..L of an MLP(2 layers, hidden h, ReLU) of
  that layer's representation (h_G^0 for layer 0, the kernel values for the others).
* **Loss** (solver.py ``train_epoch``, loss.py ``Loss``): class-balanced cross-entropy with
  the batch's class counts n_c, weights (1 - beta_cb) / (1 - beta_cb^n_c) normalised to sum C
  (beta_cb 0.999), plus ``beta`` x the summed MI estimate.

The code's defaults (ImGKB.yml): hidden_graphs 6, size_hidden_graphs 4, max_step 1, beta 0.3,
hidden 96, 3 layers, lr 0.005, batch 128. Deviations: the GNN is the shared GIN backbone,
read layer by layer (the code applies one 3-layer GIN module, its weights shared, L times to
its input map's output); a class absent from a batch gets weight 0 (the code's weight there is
inf / inf = NaN, which makes the batch's loss NaN); ``balance.class_weights`` is not applied on
top of the class-balanced loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.train import Learner

__all__ = ["ImGKB", "KernelRW", "build", "class_balanced_weights", "dv_mutual_information"]


class KernelRW(nn.Module):
    """kernel.py ``KerRW``: random-walk kernels between graph embeddings and ``hidden_graphs``
    trainable graphs of ``size`` nodes.

    Shapes:
        - **input:** (B, h) graph embeddings
        - **output:** (B, m x P) kernel values (steps side by side), (B, P, m) by step
    """

    def __init__(self, hidden: int, hidden_graphs: int = 6, size: int = 4,
                 max_step: int = 1) -> None:
        super().__init__()
        self.max_step, self.size = max_step, size
        self.adj_hidden = nn.Parameter(torch.empty(hidden_graphs, size * (size - 1) // 2))
        self.features_hidden = nn.Parameter(torch.empty(hidden_graphs, size, hidden))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.adj_hidden)
        nn.init.kaiming_normal_(self.features_hidden)

    def adjacency(self) -> torch.Tensor:
        """(m, s, s) symmetric adjacency: ReLU of the upper-triangle parameters."""
        m, s = self.adj_hidden.shape[0], self.size
        iu = torch.triu_indices(s, s, 1, device=self.adj_hidden.device)
        a = self.adj_hidden.new_zeros(m, s, s)
        a[:, iu[0], iu[1]] = F.relu(self.adj_hidden)
        return a + a.transpose(1, 2)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, z = self.adjacency(), self.features_hidden
        zx = torch.einsum("msh,bh->msb", z, x)
        out = []
        for _ in range(self.max_step):
            z = torch.einsum("mst,mth->msh", a, z)
            out.append((zx * torch.einsum("msh,bh->msb", z, x)).sum(dim=1).t())  # (B, m)
        return torch.cat(out, dim=1), torch.stack(out, dim=1)


def dv_mutual_information(critic: nn.Module, h: torch.Tensor, pos: torch.Tensor,
                          perm: torch.Tensor) -> torch.Tensor:
    """inforneck.py ``MI_Est`` (Donsker-Varadhan): mean T(h, pos) + log mean exp T(h,
    pos[perm]), each T + 1e-10, the log term clamped to +-1e4 as the code."""
    joint = critic(torch.cat([h, pos], dim=1)) + 1e-10
    margin = critic(torch.cat([h, pos[perm]], dim=1)) + 1e-10
    return joint.mean() + torch.clamp(torch.log(torch.exp(margin).mean()), -10000, 10000)


def class_balanced_weights(y: torch.Tensor, n_classes: int, beta: float = 0.999) -> torch.Tensor:
    """loss.py ``Loss``: (1 - beta) / (1 - beta^n_c) of the batch's class counts, normalised
    to sum C over the classes present; absent classes 0 (the code's NaN)."""
    n = torch.bincount(y, minlength=n_classes).double()
    w = torch.where(n > 0, (1 - beta) / (1 - torch.pow(torch.tensor(beta, dtype=n.dtype), n)),
                    torch.zeros_like(n))
    return (w / w.sum() * n_classes).float()


def _mlp(i: int, h: int, o: int) -> nn.Sequential:  # layers.py MLP(2 layers)
    return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))


class ImGKB(Learner):
    """KGIB on the GIN backbone (see the module).

    Args:
        encoder: the GIN backbone (its layers read by forward hooks); n_classes: C.
        in_channels: node feature width F (the layer-0 input map).
        hidden_graphs, size_hidden_graphs, max_step: the kernel layers'.
        beta: weight of the MI term; cb_beta: the class-balanced loss's beta.

    Shapes:
        - **loss:** GraphBatch of B graphs -> scalar
        - **log_proba:** GraphBatch of B graphs -> (B, C)
    """

    def __init__(self, encoder: nn.Module, n_classes: int, *, in_channels: int,
                 hidden_graphs: int = 6, size_hidden_graphs: int = 4, max_step: int = 1,
                 beta: float = 0.3, cb_beta: float = 0.999) -> None:
        super().__init__()
        h, layers = encoder.hidden, len(encoder.convs)
        self.encoder, self.n_classes = encoder, n_classes
        self.beta, self.cb_beta = float(beta), float(cb_beta)
        self.transform_in = nn.Sequential(nn.Linear(in_channels, 32), nn.Dropout(0.5), nn.ReLU(),
                                          nn.Linear(32, h), nn.ReLU())
        self.kernels = nn.ModuleList([KernelRW(h, hidden_graphs, size_hidden_graphs, max_step)
                                      for _ in range(layers)])
        self.critic = nn.Sequential(nn.Linear(h + hidden_graphs, h + hidden_graphs), nn.ReLU(),
                                    nn.Linear(h + hidden_graphs, 1), nn.ReLU())
        self.attention = nn.Sequential(nn.Linear(hidden_graphs, 16), nn.ReLU(),
                                       nn.Linear(16, 1, bias=False))
        self.predict = nn.ModuleList([_mlp(h, h, n_classes)] + [
            _mlp(hidden_graphs * max_step, h, n_classes) for _ in range(layers)])
        self._layer_out: list[torch.Tensor] = []
        for conv in encoder.convs:
            conv.register_forward_hook(lambda _m, _i, out: self._layer_out.append(out))

    def _forward(self, b: GraphBatch, with_mi: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        self._layer_out = []
        self.encoder(b)
        outs, self._layer_out = self._layer_out, []
        count = torch.bincount(b.batch, minlength=b.num_graphs).clamp(min=1)[:, None].float()

        def mean_pool(x: torch.Tensor) -> torch.Tensor:
            return x.new_zeros(b.num_graphs, x.shape[1]).index_add_(0, b.batch, x) / count

        score = self.predict[0](mean_pool(self.transform_in(b.x)))
        mi = score.new_zeros(())
        # prediction needs no MI term (and draws nothing from torch's generator)
        perm = torch.randperm(b.num_graphs, device=b.x.device) if with_mi else None
        for layer, (x, kernel) in enumerate(zip(outs[-len(self.kernels):], self.kernels)):
            hg = mean_pool(x)
            h1, by_step = kernel(hg)
            if perm is not None:
                att = torch.softmax(self.attention(by_step), dim=1)  # over the steps
                mi = mi + dv_mutual_information(self.critic, hg, (att * by_step).sum(dim=1),
                                                perm)
            score = score + self.predict[layer + 1](h1)
        return score, mi

    def loss(self, b: GraphBatch) -> torch.Tensor:
        score, mi = self._forward(b)
        w = class_balanced_weights(b.y, self.n_classes, self.cb_beta).to(score.device)
        return F.cross_entropy(score, b.y, weight=w) + self.beta * mi

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        return F.log_softmax(self._forward(b, with_mi=False)[0], dim=1)


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p = inputs.params
    learner = ImGKB(encoder, inputs.num_classes, in_channels=inputs.collection.num_features,
                    hidden_graphs=int(p["hidden_graphs"]),
                    size_hidden_graphs=int(p["size_hidden_graphs"]),
                    max_step=int(p["max_step"]), beta=float(p["beta"]),
                    cb_beta=float(p["cb_beta"]))
    return learner, graph_batch

