"""The node family's methods: one module per method or method family, and this table of
them (:data:`METHODS`), read by the config code, the rules and the job.

====================  =================================  ==================================
balancing name        module                             cached inputs
====================  =================================  ==================================
``none``              :mod:`.plain` (Origin, Re-weight)  -
``oversampling``      :mod:`.oversampling`               -
``smote``             :mod:`.oversampling`               -
``embed_smote``       :mod:`.embed_smote`                -
``graphsmote``        :mod:`.graphsmote`                 -
``cb_sampling``       :mod:`.ecgn.cb_sampling`           -
``cluster_features``  :mod:`.ecgn.cluster_features`      clusters
``cluster_gcn``       :mod:`.ecgn.cluster_gcn`           clusters
``ecgn``              :mod:`.ecgn.method`                clusters, pretrain (when pretrain)
``plugin``            the entry's ``callable``           the entry's ``needs``
====================  =================================  ==================================

A row declares the method's settings and defaults once (resolution fills them in; a test
keeps workflow/schemas/nodecls.schema.yaml equal to them), the cached inputs its job reads
(the rules ask for them from this declaration: METIS clusters, ECGN's cached pre-training;
DeepWalk features are the dataset's, read by every method), and whether it adds synthetic
nodes by an over-sampling ``scale``. Implementations are ``"module:attr"`` references of the
:class:`~imbgraph.nodecls.methods.base.BuildModel` protocol (or, ``own_job``, whole job
bodies), imported by the job that runs them: this module and :mod:`.ecgn.settings` import no
torch, because Snakemake reads them at every start.

A method of your own needs no row: ``balancing: {name: plugin, callable: "pkg.mod:build",
params: {...}}`` (CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from imbgraph.errors import ConfigError
from imbgraph.nodecls.methods.ecgn import settings as ecgn_settings
from imbgraph.plugins import UNSET, MethodSpec, Registry, split_ref

__all__ = ["CACHED", "METHODS", "NodeMethod", "OVERSAMPLING", "PLUGIN_NEEDS", "names"]

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
    """

    own_job: bool = False
    adds_nodes: bool = False
    split_scale: Callable[[dict], bool] | None = None
    amount_hint: str = ""
    pretrain: Callable[[dict], dict] | None = None

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
_GRAPHSMOTE = {"edges": "soft", "threshold": 0.5, "edge_weight": 1e-6, "pretrain_epochs": 0,
               "negative_weight": "balanced", "neg_ratio": 1.0, "dense_below": 1024,
               "max_pairs": 20000}

#: balancing name -> :class:`NodeMethod` (the schema's enum of ``balancing.name``)
METHODS = Registry("nodecls.methods.<method>.balancing.name", [
    NodeMethod("none", f"{_M}.plain:build", doc="no re-sampling (Origin; Re-weight)"),
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
])

#: balancing names that add synthetic nodes by an over-sampling ``scale``
OVERSAMPLING = tuple(n for n, s in METHODS.items() if s.adds_nodes)


def names() -> list[str]:
    """Every balancing name, sorted (the schema's enum)."""
    return sorted(METHODS)
