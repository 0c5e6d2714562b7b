"""The node family's methods: one module per method or method family, and this table of
them (:data:`METHODS`), read by the config code, the rules and the job.

====================  =================================  ==================================
balancing name        module                             cached inputs
====================  =================================  ==================================
``none``              :mod:`.plain` (Origin, Re-weight)  -
``balanced_softmax``  :mod:`.balanced_softmax`           -
``renode``            :mod:`.renode`                     -
``oversampling``      :mod:`.oversampling`               -
``smote``             :mod:`.oversampling`               -
``embed_smote``       :mod:`.embed_smote`                -
``graphsmote``        :mod:`.graphsmote`                 -
``cb_sampling``       :mod:`.ecgn.cb_sampling`           -
``cluster_features``  :mod:`.ecgn.cluster_features`      clusters
``cluster_gcn``       :mod:`.ecgn.cluster_gcn`           clusters
``ecgn``              :mod:`.ecgn.method`                clusters, pretrain (when pretrain)
``plugin``            the entry's ``callable``           the entry's ``needs``
``graphens``          :mod:`.graphens`                   -
``graphsha``          :mod:`.graphsha`                   -
``mixup``             :mod:`.mixup`                      -
====================  =================================  ==================================

A row declares the method's settings and defaults once (resolution fills them in; a test
keeps workflow/schemas/nodecls.schema.yaml equal to them), the cached inputs its job reads
(the rules ask for them from this declaration: METIS clusters, ECGN's cached pre-training;
DeepWalk features are the dataset's, read by every method), and whether it adds synthetic
nodes by an over-sampling ``scale``. Implementations are ``"module:attr"`` references of the
:class:`~imbgraph.nodecls.methods.base.BuildModel` protocol (or, ``own_job``, whole job
bodies), imported by the job that runs them: this module and :mod:`.ecgn.settings` import no
torch, because Snakemake reads them at every start.

An *add-on* (:data:`ADDONS`) is of one of two kinds: a ``logits`` add-on (``tam``,
:mod:`.tam`) adjusts the training logits of a method whose row lists it in ``addons``; a
``graph`` add-on (``bat``, :mod:`.bat`) rewrites the training graph before every step of any
method the shared job trains (the entry: ``addons: [tam]``, ``addons: [{name: tam, alpha:
2.5}]``, ``addons: [{name: bat, mode: bat0}]``); :func:`resolve_addons` fills in the defaults
and names the entry when a combination cannot work.

A method of your own needs no row: ``balancing: {name: plugin, callable: "pkg.mod:build",
params: {...}}`` (CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from imbgraph.errors import ConfigError
from imbgraph.nodecls.methods.ecgn import settings as ecgn_settings
from imbgraph.plugins import UNSET, MethodSpec, Registry, split_ref

__all__ = ["ADDONS", "ADDON_KINDS", "CACHED", "METHODS", "NodeAddon", "NodeMethod",
           "OVERSAMPLING", "PLUGIN_NEEDS", "addon_names", "names", "resolve_addons"]

#: the cached inputs a method may declare (each has its rule and its reader in the job)
CACHED = ("clusters", "pretrain")
#: the ones a user's method may ask for (ECGN's pre-training is ECGN's)
PLUGIN_NEEDS = ("clusters",)


@dataclass(frozen=True)
class NodeMethod(MethodSpec):
    """A node method (:class:`imbgraph.plugins.MethodSpec`) plus:

    own_job : ``impl`` is a whole job body ``run(inputs) -> (metrics, summary)`` instead of
        a :class:`~imbgraph.nodecls.methods.base.BuildModel` trained by the shared job
    adds_nodes : draws synthetic nodes each step by an over-sampling ``scale`` (its own, else
        the split's ``oversampling_scale``); a figure may sweep ``scale``
    split_scale : for a method that adds nodes some other way (ECGN): whether resolved
        settings lack an amount, so that the split's ``oversampling_scale`` is taken
    amount_hint : what the error says when neither gives one
    pretrain : resolved method -> the settings its cacheable pre-training depends on
        (methods equal in them share one cached file per dataset, split and seed)
    addons : the add-ons (:data:`ADDONS`) it can carry: its loss reads the training logits
        through :meth:`~imbgraph.nodecls.methods.base.BalancedModel.train_logits`
    """

    own_job: bool = False
    adds_nodes: bool = False
    split_scale: Callable[[dict], bool] | None = None
    amount_hint: str = ""
    pretrain: Callable[[dict], dict] | None = None
    addons: tuple[str, ...] = ()

    def takes_split_scale(self, settings: dict[str, Any]) -> bool:
        if self.adds_nodes:
            return settings.get("scale") is None
        return self.split_scale is not None and self.split_scale(settings)


def _ecgn_needs(bal: dict) -> tuple[str, ...]:
    return ("clusters", "pretrain") if bal["pretrain"] else ("clusters",)


def _check_plugin(bal: dict, key: str) -> None:
    split_ref(bal.get("callable"), key=f"{key}.callable")
    for need in bal.get("needs", ()):
        if need not in PLUGIN_NEEDS:
            raise ConfigError(f"{key}.needs: {need!r} is not a cached input a method of "
                              f"your own can read (expected one of {list(PLUGIN_NEEDS)})")


_M = __name__
_SCALE = {"scale": UNSET}
_K = {"clusters": UNSET}  # default: the dataset's clusters.k
#: ReNode (Chen et al., NeurIPS'21): its code's rn_base_weight, rn_scale_weight and
#: pagerank_prob 0.85 (restart 0.15); the PPR's accuracy, top-k and memory bound are ours
_RENODE = {"base_weight": 0.5, "scale_weight": 1.0, "ppr_alpha": 0.15, "ppr_tol": 1e-10,
           "ppr_topk": None, "ppr_max_mb": 2048}
#: TAM (Song et al., ICML'22): its code's tam_alpha, tam_beta, temp_phi, warmup and the
#: temp_gamma 0.4 it passes to compute_tam
_TAM = {"alpha": 2.5, "beta": 0.5, "temperature": 1.2, "temperature_gamma": 0.4, "warmup": 5}
_LOGIT_ADDONS = ("tam",)
_GRAPHSMOTE = {"edges": "soft", "threshold": 0.5, "edge_weight": 1e-6, "pretrain_epochs": 0,
               "negative_weight": "balanced", "neg_ratio": 1.0, "dense_below": 1024,
               "max_pairs": 20000}
#: GraphENS (Park et al., ICLR'22): its code's keep_prob, pred_temp and warmup
_GRAPHENS = {"keep_prob": 0.01, "pred_temp": 2.0, "warmup": 1}
#: GraphSHA (Li et al., KDD'23): its code's tau, warmup, mean target (no --max), masked own
#: class (no --no_mask), Beta(1, 100) and GDC-PPR alpha 0.05, k 128; tol and bound are ours
_GRAPHSHA = {"tau": 2.0, "warmup": 5, "target": "mean", "mask_own_class": True,
             "beta_a": 1.0, "beta_b": 100.0, "ppr_alpha": 0.05, "ppr_topk": 128,
             "ppr_tol": 1e-10, "ppr_max_mb": 2048}

#: balancing name -> :class:`NodeMethod` (the schema's enum of ``balancing.name``)
METHODS = Registry("nodecls.methods.<method>.balancing.name", [
    NodeMethod("none", f"{_M}.plain:build", doc="no re-sampling (Origin; Re-weight)",
               addons=_LOGIT_ADDONS),
    NodeMethod("balanced_softmax", f"{_M}.balanced_softmax:build",
               doc="Balanced Softmax: cross-entropy on logits + log(training class prior)",
               addons=_LOGIT_ADDONS),
    NodeMethod("renode", f"{_M}.renode:build", _RENODE,
               doc="ReNode: per-node weights from the conflict of PPR influence (Totoro)",
               addons=_LOGIT_ADDONS),
    NodeMethod("oversampling", f"{_M}.oversampling:build_oversampling", _SCALE,
               adds_nodes=True, doc="minority nodes duplicated with their edges"),
    NodeMethod("smote", f"{_M}.oversampling:build_smote", _SCALE, adds_nodes=True,
               doc="SMOTE on the raw features, base node's edges"),
    NodeMethod("embed_smote", f"{_M}.embed_smote:build", _SCALE, adds_nodes=True,
               doc="SMOTE on the last convolution's output"),
    NodeMethod("graphsmote", f"{_M}.graphsmote:build", {**_SCALE, **_GRAPHSMOTE},
               adds_nodes=True, doc="GraphSMOTE T / O / preT / preO"),
    NodeMethod("cb_sampling", f"{_M}.ecgn.cb_sampling:build", {"num_samples": UNSET},
               doc="class-balanced node sampling"),
    NodeMethod("cluster_features", f"{_M}.ecgn.cluster_features:run", _K,
               needs=("clusters",), own_job=True, doc="one-hot METIS cluster id appended"),
    NodeMethod("cluster_gcn", f"{_M}.ecgn.cluster_gcn:run",
               {**_K, **ecgn_settings.CLUSTER_GCN_DEFAULTS}, needs=("clusters",),
               own_job=True, doc="ClusterGCN mini-batches of METIS clusters"),
    NodeMethod("ecgn", f"{_M}.ecgn.method:run",
               {**_K, **ecgn_settings.DEFAULTS, "target": UNSET, "scale": UNSET},
               needs=_ecgn_needs, check=ecgn_settings.check, own_job=True,
               split_scale=ecgn_settings.needs_split_scale,
               amount_hint="cluster-aware SMOTE needs one (ECGN: raise each minority class "
                           "from 20 to 100 training nodes on Cora, scale 4.0)",
               pretrain=ecgn_settings.pretrain_settings,
               doc="ECGN: per-cluster pre-training, cluster-aware SMOTE, global network"),
    NodeMethod("plugin", None, {"callable": UNSET, "params": {}, "needs": UNSET},
               needs=lambda bal: tuple(bal.get("needs", ())), check=_check_plugin,
               doc="a method of your own: the entry's callable (BuildModel protocol)"),
    NodeMethod("graphens", f"{_M}.graphens:build", _GRAPHENS, addons=_LOGIT_ADDONS,
               doc="GraphENS: ego networks mixed by saliency and neighbour distributions"),
    NodeMethod("graphsha", f"{_M}.graphsha:build", _GRAPHSHA, addons=_LOGIT_ADDONS,
               doc="GraphSHA: hard minority nodes by SemiMixup, edges from the anchor's PPR"),
    NodeMethod("mixup", f"{_M}.mixup:build", addons=_LOGIT_ADDONS,
               doc="Mixup (IceBerg's MIX): balancing node mixup with the source's in-edges"),
])

#: balancing names that add synthetic nodes by an over-sampling ``scale``
OVERSAMPLING = tuple(n for n, s in METHODS.items() if s.adds_nodes)

#: BAT (Liu et al., ICML'24): its code's BatAugmenter mode (bat1 recommended) and the
#: trainer's warmup_epoch
_BAT = {"mode": "bat1", "warmup": 0}
ADDON_KINDS = ("logits", "graph")


@dataclass(frozen=True)
class NodeAddon(MethodSpec):
    """An add-on (:class:`imbgraph.plugins.MethodSpec`) plus its ``kind``:

    * ``logits``: ``attach(model, inputs, settings)`` appends a module to the model's
      ``addons`` (TAM); only methods whose row lists it take it;
    * ``graph``: ``attach(model, inputs, settings) -> model`` returns the model wrapped to
      train on a rewritten training :class:`~imbgraph.nodecls.methods.base.Batch` each step
      (BAT); every method the shared job trains takes it (not ``own_job`` ones, nor a
      user's).
    """

    kind: str = "logits"


#: add-on name -> :class:`NodeAddon`; the schema's enum of ``addons[].name``
ADDONS = Registry("nodecls.methods.<method>.addons[].name", [
    NodeAddon("tam", f"{_M}.tam:attach", _TAM,
              doc="TAM: topology-aware margins (ACM, ADM) on the training logits"),
    NodeAddon("bat", f"{_M}.bat:attach", _BAT, kind="graph",
              check=lambda s, key: _check_bat(s, key),
              doc="BAT: virtual class nodes linked to uncertain nodes, each training step"),
])


def _check_bat(settings: dict, key: str) -> None:
    if settings["mode"] not in ("bat0", "bat1"):
        raise ConfigError(f"{key}.mode = {settings['mode']!r}; expected 'bat0' or 'bat1'")


def names() -> list[str]:
    """Every balancing name, sorted (the schema's enum)."""
    return sorted(METHODS)


def addon_names() -> list[str]:
    """Every add-on name, sorted (the schema's enum of ``addons[].name``)."""
    return sorted(ADDONS)


def resolve_addons(entry: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The method entry's ``addons`` (each a name or ``{name, ...settings}``) with every
    default filled in, in order; ConfigError naming ``key`` (``...methods.X``) for an
    unknown add-on, one listed twice, or one the entry's balancing cannot carry."""
    bal_name = entry["balancing"]["name"]
    spec = METHODS.get_spec(bal_name, key=f"{key}.balancing.name")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(entry.get("addons") or []):
        block = {"name": item} if isinstance(item, str) else dict(item)
        name = block.get("name")
        addon = ADDONS.get_spec(name, key=f"{key}.addons[{i}].name")
        unknown = sorted(set(block) - {"name", *addon.params})
        if unknown:
            raise ConfigError(f"{key}.addons[{i}] ({name}): unknown settings {unknown}; "
                              f"expected {sorted(addon.params)}")
        if name in [a["name"] for a in out]:
            raise ConfigError(f"{key}.addons: {name!r} is listed twice")
        if getattr(addon, "kind", "logits") == "graph":
            if spec.own_job or spec.impl is None:
                raise ConfigError(
                    f"{key}.addons[{i}] = {name!r} cannot be combined with balancing "
                    f"{bal_name!r}: it rewrites the training graph of a method the shared "
                    "job trains step by step, and this one "
                    + ("runs its own job" if spec.own_job else "is a method of your own"))
        elif name not in spec.addons:
            takes = sorted(n for n, m in METHODS.items() if name in m.addons)
            raise ConfigError(
                f"{key}.addons[{i}] = {name!r} cannot be combined with balancing "
                f"{bal_name!r}: it adjusts the logits of the real training nodes, which only "
                f"the losses of balancing {takes} expose")
        full = addon.settings(block)
        addon.validate(full, f"{key}.addons[{i}]")
        out.append(full)
    return out
