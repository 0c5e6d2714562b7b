"""A method of your own, end to end: the README's worked example (logit-adjusted
cross-entropy, copied from the README into a module outside the package, on the Python path
of the Snakemake process and its jobs) trains beside a built-in method, lands in the table,
and is recorded in settings.json with its code's provenance; a method declaring
``needs: [clusters]`` gets the dataset's METIS clusters; a change of its params or of its
file reruns its jobs only; a missing module stops the run at start-up, a missing function or
a wrong return value stops its job, each naming the method's config key."""

from __future__ import annotations

import hashlib
import json
import math

import polars as pl
import pytest
import yaml
from snakemake_helpers import (
    REPO,
    changed_config,
    fails_at_startup,
    fails_in_job,
    job_counts,
    modules_on_path,
    readme_python,
    snakemake,
)

pytestmark = pytest.mark.workflow

# test-local helpers beside the README's module: one that checks the cached clusters, two
# that break the contract
HELPERS = '''
import torch

from imbgraph.nodecls.methods.base import MethodInputs
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.models import GNN


def with_clusters(inputs: MethodInputs) -> Plain:
    c = inputs.cached["clusters"]
    assert c.shape == (inputs.graph.num_nodes,) and int(c.max()) < 3, c
    return Plain(inputs.backbone(), inputs.criterion)


def returns_text(inputs):
    return "not a model"


def wrong_width(inputs):
    g = inputs.graph
    return Plain(GNN(g.num_features, g.num_classes + 1), inputs.criterion)
'''


def readme_plugin() -> str:
    return readme_python("# mylosses.py")


def config(workdir, methods: dict, rows: list[str]):
    cfg = yaml.safe_load((REPO / "config" / "tiny_nodecls.yaml").read_text())
    nc = cfg["nodecls"]
    cfg = {"seeds": [0],
           "nodecls": {"datasets": {"tiny_cora": nc["datasets"]["tiny_cora"]},
                       "splits": {"im05": nc["splits"]["im05"]},
                       "clusters": {"metis_seed": 0, "k": {"tiny_cora": 3}},
                       "models": nc["models"],
                       "training": {**nc["training"], "max_epochs": 30},
                       "methods": {"Origin": nc["methods"]["Origin"], **methods}},
           "tables": {"own_method": {"task": "nodecls", "title": "Your own method",
                                     "dataset": "tiny_cora", "split": "im05",
                                     "metric": ["macro_f1", "acc"], "average": False,
                                     "rows": rows, "columns": [{"label": "tiny Cora"}]}}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


LOGIT_ADJ = {"label": "Logit-adjusted CE", "model": "sage",
             "balancing": {"name": "plugin", "callable": "mylosses:build",
                           "params": {"tau": 1.0}}}
CLUSTERED = {"label": "Own, with clusters", "model": "sage",
             "balancing": {"name": "plugin", "callable": "mylosses_helpers:with_clusters",
                           "needs": ["clusters"]}}


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A folder outside the package holding the README's module and the helpers, on the
    Python path of this process (dry runs run in it) and of Snakemake's subprocesses."""
    with modules_on_path(tmp_path_factory.mktemp("plugins"),
                         {"mylosses": readme_plugin(), "mylosses_helpers": HELPERS}) as folder:
        yield folder


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory, plugin_path):
    workdir = tmp_path_factory.mktemp("own_method")
    cfg = config(workdir, {"LogitAdj": LOGIT_ADJ, "Clustered": CLUSTERED},
                 ["Origin", "LogitAdj", "Clustered"])
    out = snakemake(workdir, cfg, "--cores", "2", "all")
    return workdir, cfg, out


def test_the_readme_example_is_under_60_lines():
    assert len(readme_plugin().splitlines()) < 60


def test_own_methods_train_and_fill_the_table(plugin_run):
    workdir, _, out = plugin_run
    assert job_counts(out) == {"build_node_graph": 1, "split_nodes": 1,
                               "metis_node_clusters": 1, "run_nodecls": 3, "render_table": 1,
                               "all": 1}
    table = pl.read_csv(workdir / "results/tables/own_method.csv")
    assert set(table["method"]) == {"Origin", "Logit-adjusted CE", "Own, with clusters"}
    assert all(math.isfinite(v) for v in table["mean"])
    runs = workdir / "results/nodecls/runs/tiny_cora/im05"
    ours = json.loads((runs / "LogitAdj/seed0/metrics.json").read_text())
    origin = json.loads((runs / "Origin/seed0/metrics.json").read_text())
    assert ours["method_label"] == "Logit-adjusted CE" and ours["acc"] > 0.3
    assert ours != {**origin, "method": "LogitAdj", "method_label": "Logit-adjusted CE"}


def test_settings_record_the_code_that_ran(plugin_run, plugin_path):
    workdir, _, _ = plugin_run
    runs = workdir / "results/nodecls/runs/tiny_cora/im05"
    settings = json.loads((runs / "LogitAdj/seed0/settings.json").read_text())
    body = (plugin_path / "mylosses.py").read_bytes()
    assert settings["plugin"] == {"callable": "mylosses:build", "module": "mylosses",
                                  "file": str(plugin_path / "mylosses.py"),
                                  "sha256": hashlib.sha256(body).hexdigest(), "version": None}
    assert settings["resolved"]["balancing"] == {"params": {"tau": 1.0}, "name": "plugin",
                                                 "callable": "mylosses:build"}
    clustered = json.loads((runs / "Clustered/seed0/settings.json").read_text())
    assert clustered["clusters"] == {"k": 3, "seed": 0}  # the dataset's, read by the job
    origin = json.loads((runs / "Origin/seed0/settings.json").read_text())
    assert "plugin" not in origin


def test_params_or_code_changes_rerun_only_that_method(plugin_run, plugin_path):
    workdir, cfg, _ = plugin_run
    assert "Nothing to be done" in snakemake(workdir, cfg, "-n", "all")

    def tau(c):
        c["nodecls"]["methods"]["LogitAdj"]["balancing"]["params"]["tau"] = 2.0

    counts = job_counts(snakemake(workdir, changed_config(workdir, tau), "-n", "all"))
    assert counts == {"run_nodecls": 1, "render_table": 1, "all": 1}
    module = plugin_path / "mylosses.py"
    before = module.read_text()
    try:
        module.write_text(before + "\n# an edit\n")
        counts = job_counts(snakemake(workdir, cfg, "-n", "all"))
        assert counts == {"run_nodecls": 1, "render_table": 1, "all": 1}
    finally:
        module.write_text(before)


def test_missing_module_stops_the_run_at_start_up(tmp_path, plugin_path):
    own = {**LOGIT_ADJ, "balancing": {"name": "plugin", "callable": "mylossez:build"}}
    cfg = config(tmp_path, {"LogitAdj": own}, ["Origin", "LogitAdj"])
    fails_at_startup(tmp_path, cfg, "nodecls.methods.LogitAdj.balancing.callable = "
                                    "'mylossez:build': no module named 'mylossez'")


def test_missing_function_or_wrong_return_stops_the_job(tmp_path, plugin_path):
    methods = {name: {**LOGIT_ADJ, "label": name,
                      "balancing": {"name": "plugin", "callable": ref}}
               for name, ref in (("Typo", "mylosses:biuld"),
                                 ("Text", "mylosses_helpers:returns_text"),
                                 ("Wide", "mylosses_helpers:wrong_width"))}
    cfg = config(tmp_path, methods, ["Origin", *methods])
    runs = "results/nodecls/runs/tiny_cora/im05"
    fails_in_job(tmp_path, cfg, "run_nodecls", f"{runs}/Typo/seed0/metrics.json",
                 "nodecls.methods.Typo.balancing.callable = 'mylosses:biuld': module "
                 "'mylosses'", "has no attribute 'biuld'")
    fails_in_job(tmp_path, cfg, "run_nodecls", f"{runs}/Text/seed0/metrics.json",
                 "nodecls.methods.Text.balancing.callable = 'mylosses_helpers:returns_text' "
                 "returned str; expected a BalancedModel")
    fails_in_job(tmp_path, cfg, "run_nodecls", f"{runs}/Wide/seed0/metrics.json",
                 "nodecls.methods.Wide.balancing.callable = 'mylosses_helpers:wrong_width': "
                 "the model's forward(x, adj) gave (500, 8); expected logits of shape (500, 7)")
