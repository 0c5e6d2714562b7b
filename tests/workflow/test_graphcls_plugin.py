"""A graph method of your own, end to end: the README's worked example (GIN with
logit-adjusted cross-entropy, copied from the README into a module outside the package, on
the Python path of the Snakemake process and its jobs) trains beside a built-in kind, lands
in the table, and is recorded in settings.json with its code's provenance; a method
declaring ``needs: [knn]`` gets the kernel kNN table of its params (and one declaring no
``pe`` gets none); a change of its params or of its file reruns its jobs only; a missing
module stops the run at start-up, a missing function or a wrong return value stops its job,
each naming the method's config key."""

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

# test-local helpers beside the README's module: one that checks its cached inputs, two that
# break the contract
HELPERS = '''
from imbgraph.graphcls.methods.supervised import Supervised


def with_knn(inputs):
    knn = inputs.cached["knn"]
    assert knn.shape == (inputs.collection.num_graphs, 2), knn.shape
    assert inputs.pe is None and inputs.params == {"k": 2, "kernel": {"name": "wl"}}
    encoder, batcher = inputs.backbone()
    return Supervised(encoder, inputs.num_classes, inputs.class_weight), batcher


def returns_text(inputs):
    return "not a learner"


def wrong_width(inputs):
    encoder, batcher = inputs.backbone()
    return Supervised(encoder, inputs.num_classes + 1, None), batcher
'''


def readme_plugin() -> str:
    return readme_python("# mygin.py")


def config(workdir, methods: dict, rows: list[str]):
    cfg = yaml.safe_load((REPO / "config" / "tiny_graphcls.yaml").read_text())
    gc = cfg["graphcls"]
    cfg = {"seeds": [0],
           "graphcls": {"datasets": gc["datasets"], "splits": {"class": gc["splits"]["class"]},
                        "models": gc["models"], "training": gc["training"],
                        "methods": {"GIN": gc["methods"]["GIN"], **methods}},
           "tables": {"own_method": {"task": "graphcls", "title": "Your own method",
                                     "split": "class", "metric": ["macro_f1", "micro_f1"],
                                     "average": False, "rows": rows,
                                     "columns": [{"dataset": "toy"}]}}}
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


LOGIT_ADJ = {"label": "GIN (logit-adjusted)", "kind": "plugin", "model": "gin",
             "params": {"callable": "mygin:build", "tau": 1.0}}
WITH_KNN = {"label": "Own, with kNN", "kind": "plugin", "model": "gin",
            "params": {"callable": "mygin_helpers:with_knn", "needs": ["knn"], "k": 2,
                       "kernel": {"name": "wl"}}}


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A folder outside the package holding the README's module and the helpers, on the
    Python path of this process (dry runs run in it) and of Snakemake's subprocesses."""
    with modules_on_path(tmp_path_factory.mktemp("plugins"),
                         {"mygin": readme_plugin(), "mygin_helpers": HELPERS}) as folder:
        yield folder


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory, plugin_path):
    workdir = tmp_path_factory.mktemp("own_graph_method")
    cfg = config(workdir, {"GIN-LA": LOGIT_ADJ, "WithKnn": WITH_KNN},
                 ["GIN", "GIN-LA", "WithKnn"])
    out = snakemake(workdir, cfg, "--cores", "2", "all")
    return workdir, cfg, out


def test_the_readme_example_is_under_60_lines():
    assert len(readme_plugin().splitlines()) < 60


def test_own_methods_train_and_fill_the_table(plugin_run):
    workdir, _, out = plugin_run
    assert job_counts(out) == {"synthesize_graphs": 1, "random_walk_pe": 1,
                               "graph_kernel_knn": 1, "split_graphs": 1, "run_graphcls": 3,
                               "render_table": 1, "all": 1}
    table = pl.read_csv(workdir / "results/tables/own_method.csv")
    assert set(table["method"]) == {"GIN", "GIN (logit-adjusted)", "Own, with kNN"}
    assert all(math.isfinite(v) for v in table["mean"])
    runs = workdir / "results/graphcls/runs/toy/class"
    ours = json.loads((runs / "GIN-LA/seed0/metrics.json").read_text())
    gin = json.loads((runs / "GIN/seed0/metrics.json").read_text())
    assert ours["method_label"] == "GIN (logit-adjusted)" and ours["balanced_acc"] > 0.5
    assert ours != {**gin, "method": "GIN-LA", "method_label": "GIN (logit-adjusted)"}
    assert (workdir / "results/graphcls/knn/toy/wl-k2.npy").exists()


def test_settings_record_the_code_that_ran(plugin_run, plugin_path):
    workdir, _, _ = plugin_run
    runs = workdir / "results/graphcls/runs/toy/class"
    settings = json.loads((runs / "GIN-LA/seed0/settings.json").read_text())
    body = (plugin_path / "mygin.py").read_bytes()
    assert settings["plugin"] == {"callable": "mygin:build", "module": "mygin",
                                  "file": str(plugin_path / "mygin.py"),
                                  "sha256": hashlib.sha256(body).hexdigest(), "version": None}
    assert settings["resolved"]["kind"] == "plugin"
    assert settings["resolved"]["params"] == {"callable": "mygin:build", "tau": 1.0}
    knn = json.loads((runs / "WithKnn/seed0/settings.json").read_text())
    assert knn["knn"] == {"kernel": "wl", "k": 2}
    assert "plugin" not in json.loads((runs / "GIN/seed0/settings.json").read_text())


def test_params_or_code_changes_rerun_only_that_method(plugin_run, plugin_path):
    workdir, cfg, _ = plugin_run
    assert "Nothing to be done" in snakemake(workdir, cfg, "-n", "all")

    def tau(c):
        c["graphcls"]["methods"]["GIN-LA"]["params"]["tau"] = 2.0

    counts = job_counts(snakemake(workdir, changed_config(workdir, tau), "-n", "all"))
    assert counts == {"run_graphcls": 1, "render_table": 1, "all": 1}
    module = plugin_path / "mygin.py"
    before = module.read_text()
    try:
        module.write_text(before + "\n# an edit\n")
        counts = job_counts(snakemake(workdir, cfg, "-n", "all"))
        assert counts == {"run_graphcls": 1, "render_table": 1, "all": 1}
    finally:
        module.write_text(before)


def test_missing_module_stops_the_run_at_start_up(tmp_path, plugin_path):
    own = {**LOGIT_ADJ, "params": {"callable": "mygim:build"}}
    cfg = config(tmp_path, {"GIN-LA": own}, ["GIN", "GIN-LA"])
    fails_at_startup(tmp_path, cfg, "graphcls.methods.GIN-LA.params.callable = "
                                    "'mygim:build': no module named 'mygim'")


def test_missing_function_or_wrong_return_stops_the_job(tmp_path, plugin_path):
    methods = {name: {**LOGIT_ADJ, "label": name, "params": {"callable": ref}}
               for name, ref in (("Typo", "mygin:biuld"),
                                 ("Text", "mygin_helpers:returns_text"),
                                 ("Wide", "mygin_helpers:wrong_width"))}
    cfg = config(tmp_path, methods, ["GIN", *methods])
    runs = "results/graphcls/runs/toy/class"
    fails_in_job(tmp_path, cfg, "run_graphcls", f"{runs}/Typo/seed0/metrics.json",
                 "graphcls.methods.Typo.params.callable = 'mygin:biuld': module 'mygin'",
                 "has no attribute 'biuld'")
    fails_in_job(tmp_path, cfg, "run_graphcls", f"{runs}/Text/seed0/metrics.json",
                 "graphcls.methods.Text.params.callable = 'mygin_helpers:returns_text' "
                 "returned str; expected (Learner, batcher)")
    fails_in_job(tmp_path, cfg, "run_graphcls", f"{runs}/Wide/seed0/metrics.json",
                 "graphcls.methods.Wide.params.callable = 'mygin_helpers:wrong_width': the "
                 "learner's log_proba(batcher(ids)) gave (2, 3) for 2 graphs; expected "
                 "log-probabilities of shape (2, 2)")
