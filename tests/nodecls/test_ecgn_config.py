"""Tests of imbgraph.nodecls.ecgn_config: the cluster count of a run (method override, then
the dataset's), the ``clusters`` sweep parameter, defaults, cross-key checks; and, once the
family's schema lists the cluster-based balancing names, that it lists exactly the registry's."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from imbgraph.errors import ConfigError
from imbgraph.nodecls.ecgn import ECGN_BALANCING
from imbgraph.nodecls.ecgn_config import (
    CLUSTER_PARAM,
    check_ecgn,
    check_ecgn_run,
    cluster_count,
    clusters_rule_params,
    needs_clusters,
    resolve_ecgn,
    vary_clusters,
)

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "nodecls.schema.yaml"


def section(**methods) -> dict:
    base = {
        "ecgn": {"label": "ECGN", "model": "m", "balancing": {"name": "ecgn", "target": 100}},
        "cgcn": {"label": "ClusterGCN", "model": "m",
                 "balancing": {"name": "cluster_gcn", "clusters": 5}},
        "sage": {"label": "GraphSAGE", "model": "m", "balancing": {"name": "none"}},
    }
    return {"datasets": {"cora": {}, "computers": {}}, "models": {"m": {"name": "sage"}},
            "clusters": {"metis_seed": 3, "k": {"cora": 3, "computers": 7}},
            "methods": {**base, **methods}}


def test_cluster_count_method_then_dataset():
    s = section()
    assert cluster_count(s, "computers", "ecgn") == 7
    assert cluster_count(s, "cora", "cgcn") == 5  # the method's own k wins
    assert cluster_count(s, "cora", "sage") is None
    del s["clusters"]["k"]["cora"]
    with pytest.raises(ConfigError, match=r"nodecls\.clusters\.k has no entry for dataset "
                                          r"'cora' and nodecls\.methods\.ecgn\.balancing"):
        check_ecgn_run(s, "cora", "ecgn")


def test_needs_clusters():
    s = section()
    assert needs_clusters(s["methods"]["ecgn"]) and not needs_clusters(s["methods"]["sage"])
    assert not needs_clusters({"balancing": {"name": "cb_sampling"}})


def test_vary_clusters_is_the_sweep():
    s = section()
    point = vary_clusters(s["methods"]["ecgn"], CLUSTER_PARAM, 10.0)
    assert point["balancing"]["clusters"] == 10 and "clusters" not in s["methods"]["ecgn"][
        "balancing"]
    assert cluster_count({**s, "methods": {"p": point}}, "cora", "p") == 10
    with pytest.raises(ConfigError, match="sweep only 'clusters'"):
        vary_clusters(s["methods"]["ecgn"], "scale", 2.0)
    with pytest.raises(ConfigError, match="uses no clusters"):
        vary_clusters(s["methods"]["sage"], CLUSTER_PARAM, 2.0)
    with pytest.raises(ConfigError, match="not a cluster count"):
        vary_clusters(s["methods"]["ecgn"], CLUSTER_PARAM, 2.5)


def test_resolve_fills_defaults_and_k():
    resolved = {"label": "ECGN", "balancing": {"name": "ecgn", "target": 100}}
    out = resolve_ecgn(resolved, 3)
    assert out["balancing"] == {**ECGN_BALANCING["ecgn"].defaults, "name": "ecgn",
                                "target": 100, "clusters": 3}
    assert resolved["balancing"] == {"name": "ecgn", "target": 100}  # a copy
    plain = {"balancing": {"name": "none"}}
    assert resolve_ecgn(plain, None) is plain


def test_rule_params():
    assert clusters_rule_params(section(), "cora", 3) == {"k": 3, "seed": 3}


@pytest.mark.parametrize("bal, match", [
    ({"name": "ecgn"}, "exactly one of 'target'"),
    ({"name": "ecgn", "target": 5, "scale": 1.0}, "exactly one of 'target'"),
    ({"name": "ecgn", "pretrain": False, "inference": "local"}, "need pretrain: true"),
    ({"name": "ecgn", "pretrain": False, "target": 5, "transfer": "best"},
     "need pretrain: true"),
    ({"name": "ecgn", "target": 5, "transfer": "median"}, "transfer = 'median'"),
    ({"name": "ecgn", "target": 5, "inference": "both"}, "inference = 'both'"),
    ({"name": "cluster_gcn", "clusters": 0}, "clusters = 0"),
])
def test_check_names_the_key(bal, match):
    s = section(bad={"label": "bad", "model": "m", "balancing": bal})
    with pytest.raises(ConfigError, match=rf"nodecls\.methods\.bad\.balancing.*{match}"):
        check_ecgn(s)


def test_check_accepts_the_valid_entries_and_checks_k():
    s = section(nosmote={"label": "w/o", "model": "m",
                         "balancing": {"name": "ecgn", "smote": False}},
                local={"label": "local", "model": "m",
                       "balancing": {"name": "ecgn", "inference": "local"}})
    check_ecgn(s)
    s["clusters"]["k"]["pubmed"] = 3
    with pytest.raises(ConfigError, match=r"nodecls\.clusters\.k\.pubmed: not a dataset"):
        check_ecgn(s)
    s["clusters"]["k"] = {"cora": 0}
    with pytest.raises(ConfigError, match=r"nodecls\.clusters\.k\.cora = 0"):
        check_ecgn(s)


def test_schema_enum_equals_registry_once_integrated():
    schema = yaml.safe_load(SCHEMA.read_text())
    props = schema["properties"]["methods"]["additionalProperties"]["properties"]
    enum = set(props["balancing"]["properties"]["name"]["enum"])
    if not enum & set(ECGN_BALANCING):
        pytest.skip("the nodecls schema does not list the cluster-based methods yet "
                    "(integration pending: /work/drafts/ecgn/integration.md)")
    assert set(ECGN_BALANCING) <= enum
