"""The graph family's methods: one module per method kind, and this table of them
(:data:`METHODS`), read by the config code, the rules and the job.

==============  ====================================  ================================
kind            module                                cached inputs
==============  ====================================  ================================
``supervised``  :mod:`.supervised` (GIN, GraphGPS,    pe
                up-sampling, re-weight, augmentation)
``g2gnn``       :mod:`.g2gnn`                         pe, knn
``infograph``   :mod:`.pretrained`                    pe, pretrain
``graphcl``     :mod:`.pretrained`                    pe, pretrain
``uniimb``      :mod:`.uniimb`                        pe
``topoimb``     :mod:`.topoimb`                       pe
``imgkb``       :mod:`.imgkb`                         pe
``datadec``     :mod:`.datadec`                       pe
``plugin``      the entry's ``params.callable``       the entry's ``params.needs`` (pe)
``soltgnn``     :mod:`.soltgnn` (SOLT-GNN)            pe
==============  ====================================  ================================

A row declares the kind's ``params`` and their defaults once (the job fills them in; a test
keeps workflow/schemas/graphcls.schema.yaml equal to them), nested blocks' defaults
(``blocks``: ``augment``, ``kernel``, ``pretrain``, ``load``), the cached inputs its job reads
(``pe``: the dataset's random-walk PE; ``knn``: G2GNN's kernel kNN table of graphs;
``pretrain``: the InfoGraph / GraphCL embeddings of the split and seed; the rules ask for
them from this declaration), its cross-key rules, and the backbones it runs on.
Implementations are ``"module:attr"`` references of the
:class:`~imbgraph.graphcls.methods.base.BuildMethod` protocol, imported by the job that runs
them: this module imports no torch, because Snakemake reads it at every start.

A kind's settings are its method's ``params:`` block, as a node method's are its
``balancing:`` block. A method of your own needs no row: ``kind: plugin, params: {callable:
"pkg.mod:build", needs: [pe], ...its own settings}`` (CONTRIBUTING.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imbgraph.errors import ConfigError
from imbgraph.plugins import UNSET, MethodSpec, Registry, split_ref

__all__ = ["AUGMENTATIONS", "BIAS_MODES", "CACHED", "EVAL_ORDERS", "GraphMethod", "KNN_DEFAULTS",
           "METHODS", "PLUGIN_KEYS", "PLUGIN_NEEDS", "TOPO_INITIAL", "names"]

#: the cached inputs a kind may declare (each has its rule and its reader in the run script)
CACHED = ("pe", "knn", "pretrain")
#: the ones a user's method may ask for (the pre-training is InfoGraph's and GraphCL's)
PLUGIN_NEEDS = ("pe", "knn")
#: the keys of a plugin's params that are the pipeline's, not the method's own
PLUGIN_KEYS = ("callable", "needs")

#: augmentation names (:data:`imbgraph.graphcls.augment.AUGMENTATIONS`; a test keeps them equal)
AUGMENTATIONS = ("remove_edge", "mask_node")
#: UniImb's prototype bias: ``per_head`` (ours: one bias row per head, moved once per epoch by
#: that epoch's routes of every batch against the target load) or ``official`` (the code's: one
#: row shared by the heads, moved by the last batch's routes only)
BIAS_MODES = ("per_head", "official")
#: order of the validation / test graphs in evaluation batches: ``random`` (ours: a seeded
#: permutation) or ``split`` (the code's: as the split lists them, class by class, so a
#: batch-dependent head such as UniImb's prototypes sees batches of one class)
EVAL_ORDERS = ("random", "split")
#: TopoImb's initial WL colours: the node labels (``x.argmax(-1)`` of one-hot features)
TOPO_INITIAL = ("label",)
#: the kernel kNN table a method reads without saying (G2GNN's code: shortest path, k = 3)
KNN_DEFAULTS: dict[str, Any] = {"k": 3, "kernel": {"name": "shortest_path"}}


@dataclass(frozen=True)
class GraphMethod(MethodSpec):
    """A graph method kind (:class:`imbgraph.plugins.MethodSpec` over its ``params:`` block)
    plus:

    blocks : nested block -> the defaults of its keys, filled into the block when the
        settings have it (a block declared ``{}`` in ``params`` always has it; ``UNSET``:
        only when the config sets it, e.g. ``augment``)
    models : the backbones (``models.<m>.name``) the kind runs on (empty: any)
    divides_hidden : params whose value must divide the backbone's ``hidden`` width
    own_params : the params are the method's own (a plugin's): any key, no defaults
    """

    blocks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    divides_hidden: tuple[str, ...] = ()
    own_params: bool = False

    def settings(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """``entry`` (a ``params:`` block) with every default filled in, nested blocks one
        level deep; what it sets wins."""
        out = super().settings(entry)
        for name, defaults in self.blocks.items():
            if isinstance(out.get(name), Mapping):
                out[name] = {**defaults, **out[name]}
        return out

    def resolve(self, method: Mapping[str, Any]) -> dict[str, Any]:
        """A resolved method (:func:`imbgraph.graphcls.config.resolve_method`) with its
        params' defaults filled in."""
        return {**method, "params": self.settings(method.get("params", {}))}

    def check_backbone(self, params: Mapping[str, Any], model: Mapping[str, Any], *, key: str,
                       model_key: str, model_ref: str, hidden_key: str) -> None:
        """The kind's rules between ``params`` (set at ``key``) and its ``model`` entry (the
        value ``model_ref`` of ``model_key``; its width at ``hidden_key``); ConfigError
        naming the key."""
        if self.models and model["name"] not in self.models:
            raise ConfigError(f"{model_key} = {model_ref!r} is a {model['name']!r}; kind "
                              f"{self.name!r} runs on {' or '.join(map(repr, self.models))}")
        hidden = model.get("hidden", 64)
        for p in self.divides_hidden:
            if hidden % params[p]:
                raise ConfigError(f"{key}.{p} = {params[p]} must divide {hidden_key} = {hidden}")

    def own(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """What the implementation reads: ``params``, without a plugin's pipeline keys."""
        return {k: v for k, v in params.items() if not (self.own_params and k in PLUGIN_KEYS)}


def _one_of(value: object, choices: tuple[str, ...], key: str) -> None:
    if value not in choices:
        raise ConfigError(f"{key} = {value!r}; expected one of {list(choices)}")


def _check_augment(p: dict, key: str) -> None:
    if "augment" in p:
        _one_of(p["augment"].get("name"), AUGMENTATIONS, f"{key}.augment.name")


def _check_graphcl(p: dict, key: str) -> None:
    for a in p["pretrain"]["augmentations"]:
        _one_of(a, AUGMENTATIONS, f"{key}.pretrain.augmentations")


def _check_uniimb(p: dict, key: str) -> None:
    if p["top_k2"] > p["n_prototypes"]:
        raise ConfigError(f"{key}.top_k2 = {p['top_k2']} exceeds n_prototypes = "
                          f"{p['n_prototypes']}")
    _one_of(p["bias_mode"], BIAS_MODES, f"{key}.bias_mode")
    _one_of(p["eval_order"], EVAL_ORDERS, f"{key}.eval_order")


def _at_least(p: dict, key: str, **lows: float) -> None:
    for name, low in lows.items():
        if p[name] < low:
            raise ConfigError(f"{key}.{name} = {p[name]}; expected at least {low}")


def _check_topoimb(p: dict, key: str) -> None:
    if not 0 <= p["reweight_weight"] <= 1:
        raise ConfigError(f"{key}.reweight_weight = {p['reweight_weight']}; expected a value "
                          "in [0, 1] (the weight of the re-weighted loss)")
    _at_least(p, key, adv_step=1, n_mem=1, topo_groups=2, wl_iterations=1)
    _one_of(p["topo_initial"], TOPO_INITIAL, f"{key}.topo_initial")


def _check_imgkb(p: dict, key: str) -> None:
    _at_least(p, key, hidden_graphs=1, size_hidden_graphs=2, max_step=1)
    if not 0 < p["cb_beta"] < 1:
        raise ConfigError(f"{key}.cb_beta = {p['cb_beta']}; expected a value in (0, 1)")


def _check_datadec(p: dict, key: str) -> None:
    if not 0 < p["keep_fraction"] <= 1:
        raise ConfigError(f"{key}.keep_fraction = {p['keep_fraction']}; expected a value in "
                          "(0, 1] (the share of the pre-training graphs each epoch trains on)")
    if not 0 <= p["explore_rate"] < p["keep_fraction"]:
        raise ConfigError(f"{key}.explore_rate = {p['explore_rate']}; expected a value in "
                          f"[0, keep_fraction = {p['keep_fraction']})")
    if not 0 <= p["fine_tune_ratio"] < 1:
        raise ConfigError(f"{key}.fine_tune_ratio = {p['fine_tune_ratio']}; expected a value "
                          "in [0, 1)")
    if p["tau"] <= 0:
        raise ConfigError(f"{key}.tau = {p['tau']}; expected a positive temperature")


def _check_soltgnn(p: dict, key: str) -> None:
    if not 0 < p["head_fraction"] < 1:
        raise ConfigError(f"{key}.head_fraction = {p['head_fraction']!r}; expected a value in "
                          "(0, 1): the share of the largest graphs that are head")
    _one_of(p["head_model"], ("gin", "solt"), f"{key}.head_model")
    if not 0 <= p["alpha"] <= 1:
        raise ConfigError(f"{key}.alpha = {p['alpha']!r}; expected a value in [0, 1]")


def _plugin_needs(p: dict) -> tuple[str, ...]:
    return tuple(p.get("needs", ("pe",)))


def _check_plugin(p: dict, key: str) -> None:
    split_ref(p.get("callable"), key=f"{key}.callable")
    for need in _plugin_needs(p):
        if need not in PLUGIN_NEEDS:
            raise ConfigError(f"{key}.needs: {need!r} is not a cached input a method of your "
                              f"own can read (expected some of {list(PLUGIN_NEEDS)})")


_M = __name__
_HEAD = {"head_dropout": 0.5}  # G2GNN's MLP_Classifier dropout
_AUGMENT = {"augment": UNSET}  # no augmentation unless set
_BLOCKS = {
    # G2GNN's code: aug_num 2 views, temperature 0.5, consistency weight 1
    "augment": {"ratio": 0.1, "views": 2, "temp": 0.5, "consistency": 1.0},
    "kernel": KNN_DEFAULTS["kernel"],
    # InfoGraph / GraphCL: pre-training on the split's training + validation graphs
    "pretrain": {"graphs": "trainval", "epochs": 20, "lr": 1e-3, "batch_size": 128},
    "load": {"name": "uniform"},
}
_GRAPHCL = {**_BLOCKS["pretrain"], "augmentations": ("mask_node", "remove_edge"), "ratio": 0.2,
            "tau": 0.2}
# SOLT-GNN's main.py defaults (head share: the paper's 20% largest graphs)
_SOLTGNN = {"head_fraction": 0.2, "head_model": "gin", "alpha": 0.5, "mu1": 1.0, "mu2": 1.0,
            "lbd": 1e-4, "dm": 64, "n_n": 1, "n_g": 1, "head_dropout": 0.5}
_UNIIMB = {"n_prototypes": 16, "heads": 4, "top_k2": 8, "top_k1": 8, "load": {},
           "bias_step": 1e-3, "mixup_alpha": 1.0, "perturb": True, "perturb_eval": False,
           "ib_weight": 0.0, "dropout": 0.3, "bias_mode": "per_head", "eval_order": "random"}
# TopoImb (IGL-Bench config/graph/class/TopoImb.yml; 8 spectral clusters of WL histograms)
_TOPOIMB = {**_HEAD, "reweight_weight": 0.2, "reweight_lr": 5e-3, "adv_step": 1, "n_mem": 8,
            "topo_groups": 8, "wl_iterations": 3, "topo_initial": "label"}
# ImGKB (IGL-Bench config/graph/class/ImGKB.yml; loss.py's class-balanced beta)
_IMGKB = {"hidden_graphs": 6, "size_hidden_graphs": 4, "max_step": 1, "beta": 0.3,
          "cb_beta": 0.999}
# DataDec (IGL-Bench config/graph/class/DataDec.yml; solver.py's data_prune_rate 0.5, PyGCL's
# InfoNCE tau 0.2, RWSampling(1000 seeds, 10 steps), augmentation ratios 0.1)
_DATADEC = {**_HEAD, "pretrain_epochs": 500, "pretrain_lr": 5e-3, "pretrain_weight_decay": 5e-4,
            "pretrain_batch_size": 128, "keep_fraction": 0.5, "explore_rate": 0.1,
            "fine_tune_ratio": 0.3, "tau": 0.2, "aug_ratio": 0.1, "rw_seeds": 1000,
            "rw_length": 10}


def _blocks(*names: str, **extra: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {**{n: _BLOCKS[n] for n in names}, **extra}


#: kind -> :class:`GraphMethod` (the schema's enum of ``methods.<m>.kind``)
METHODS = Registry("graphcls.methods.<method>.kind", [
    GraphMethod("supervised", f"{_M}.supervised:build", {**_HEAD, **_AUGMENT}, needs=("pe",),
                check=_check_augment, blocks=_blocks("augment"),
                doc="encoder + MLP head (GIN, GraphGPS, up-sampling, re-weight, augmentation)"),
    GraphMethod("g2gnn", f"{_M}.g2gnn:build",
                {**_HEAD, **_AUGMENT, "k": KNN_DEFAULTS["k"], "prop_layers": 2, "kernel": {}},
                needs=("pe", "knn"), check=_check_augment, blocks=_blocks("augment", "kernel"),
                doc="G2GNN: kernel kNN graph of graphs + augmentation consistency"),
    GraphMethod("infograph", f"{_M}.pretrained:build", {**_HEAD, "pretrain": {}},
                needs=("pe", "pretrain"), blocks=_blocks("pretrain"),
                doc="InfoGraph pre-training, MLP head on frozen embeddings"),
    GraphMethod("graphcl", f"{_M}.pretrained:build", {**_HEAD, "pretrain": {}},
                needs=("pe", "pretrain"), check=_check_graphcl, blocks={"pretrain": _GRAPHCL},
                doc="GraphCL pre-training, MLP head on frozen embeddings"),
    GraphMethod("uniimb", f"{_M}.uniimb:build", _UNIIMB, needs=("pe",), check=_check_uniimb,
                blocks=_blocks("load"), models=("gin",), divides_hidden=("heads",),
                doc="UniImb: dynamic balanced prototypes"),
    GraphMethod("topoimb", f"{_M}.topoimb:build", _TOPOIMB, needs=("pe",), check=_check_topoimb,
                models=("gin",), doc="TopoImb: topology-group re-weighting with a memory"),
    GraphMethod("imgkb", f"{_M}.imgkb:build", _IMGKB, needs=("pe",), check=_check_imgkb,
                models=("gin",), doc="ImGKB: graph-kernel information bottleneck"),
    GraphMethod("datadec", f"{_M}.datadec:build", _DATADEC, needs=("pe",), check=_check_datadec,
                doc="DataDec: contrastive pre-training on a dynamically pruned subset"),
    GraphMethod("plugin", None, {"callable": UNSET, "needs": UNSET}, needs=_plugin_needs,
                check=_check_plugin, own_params=True,
                doc="a method of your own: params.callable (BuildMethod protocol)"),
    GraphMethod("soltgnn", f"{_M}.soltgnn:build", _SOLTGNN, needs=("pe",), check=_check_soltgnn,
                models=("gin",), doc="SOLT-GNN: head-to-tail transfer by size, pattern memory"),
])


def names() -> list[str]:
    """Every kind, in table order (the schema's enum)."""
    return list(METHODS)
