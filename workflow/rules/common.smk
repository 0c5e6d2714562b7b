# Validation, wildcard constraints and the input functions shared by several stages.
import re

from snakemake.utils import validate

from imbgraph import config as cfg
from imbgraph.io.strict_yaml import check_unique_keys
from imbgraph.io.writable import check_writable_dir

# YAML keeps the last of two equal keys (a second `RIWS:` would replace the first unseen).
for _configfile in workflow.configfiles:
    check_unique_keys(_configfile)
validate(config, schema="../schemas/config.schema.yaml")
cfg.check(config, configfile=", ".join(map(str, workflow.configfiles)) or "config")

# Gamma-sweep points no method declares become methods of their own (cfg.with_sweep_methods).
config["methods"] = cfg.with_sweep_methods(config)

RESULTS = "results"
check_writable_dir(RESULTS)  # fail before scheduling, not in the first job
# A GPU job asks for one `gpu` unit, so `resources: gpu=1` (profiles/local) keeps two of them
# off one card; CPU-only machines ask for none and run training jobs side by side.
GPU_PER_JOB = cfg.gpu_per_job(config)
DATASETS = list(config["datasets"])
SYNTHETIC = [d for d in DATASETS if config["datasets"][d]["source"] == "synthetic"]
FILE_BASED = [d for d in DATASETS if config["datasets"][d]["source"] == "learn_to_cluster"]
SUBSETS = sorted({s for d in DATASETS for s in cfg.subset_specs(config, d)})
SPLITS = ["train", "test", *SUBSETS]


def _alternatives(names):
    # A pattern that matches nothing when the list is empty (an empty alternation would
    # match the empty string).
    return "|".join(map(re.escape, names)) if names else "(?!x)x"


wildcard_constraints:
    dataset=_alternatives(DATASETS),
    split=_alternatives(SPLITS),
    subset=_alternatives(SUBSETS),
    method=_alternatives(list(config["methods"])),
    seed=r"\d+",
    shard=r"\d+",
    table=_alternatives(list(config["tables"])),
    figure=_alternatives(list(config.get("figures", {}))),
    clusterer=_alternatives(list(config.get("clusterers", {}))),


def split_files(dataset, split):
    base = f"{RESULTS}/data/{dataset}/{split}"
    return {"features": f"{base}/features.npy", "labels": f"{base}/labels.parquet"}


def get_split(wildcards):
    return split_files(wildcards.dataset, wildcards.split)


def shard_files(dataset, split):
    return expand(
        f"{RESULTS}/subgraphs/{dataset}/{split}/shard{{shard}}.parquet",
        shard=range(config["partition"]["shards"]),
    )


def get_shards(wildcards):
    return shard_files(wildcards.dataset, wildcards.split)


def method_label(method):
    return config["methods"][method].get("label", method)


def run_metrics(dataset, split, method):
    return expand(
        f"{RESULTS}/runs/{dataset}/{split}/{method}/seed{{seed}}/metrics.json",
        seed=config["seeds"],
    )


def clusterer_metrics(dataset, clusterer):
    return expand(
        f"{RESULTS}/clustering/{dataset}/{clusterer}/seed{{seed}}/metrics.json",
        seed=config["seeds"],
    )


def table_rows(table):
    """Rows of a `kind: rows` table with their metrics files (one per seed)."""
    rows = []
    for r in config["tables"][table]["rows"]:
        if "clusterer" in r:
            c = config["clusterers"][r["clusterer"]]
            files = clusterer_metrics(r["dataset"], r["clusterer"])
            label = r.get("label", c.get("label", r["clusterer"]))
            where = f"{r['dataset']}/test"
        else:
            files = run_metrics(r["dataset"], r["split"], r["method"])
            label = r.get("label", method_label(r["method"]))
            where = f"{r['dataset']}/{r['split']}"
        rows.append({"label": label, "dataset": where, "files": files,
                     **({"paper": r["paper"]} if "paper" in r else {})})
    return rows


def table_labels(table):
    """Row labels of a grid table (rows tables carry theirs in table_rows)."""
    t = config["tables"][table]
    if t.get("kind", "grid") == "rows":
        return {}
    return {m: method_label(m) for m in t["rows"]}


def get_table_metrics(wildcards):
    t = config["tables"][wildcards.table]
    if t.get("kind", "grid") == "rows":  # metrics.json and the timings.json beside it
        files = [f for row in table_rows(wildcards.table) for f in row["files"]]
        return files + [f.replace("metrics.json", "timings.json") for f in files]
    splits = [c["split"] for c in t["columns"]]
    return [f for s in splits for m in t["rows"] for f in run_metrics(t["dataset"], s, m)]


def figure_splits(figure):
    f = config["figures"][figure]
    return [c["split"] for c in config["tables"][f["table"]]["columns"]]


def figure_points(figure):
    """(swept method, gamma, method name) of every point of a gamma-sweep figure."""
    f = config["figures"][figure]
    sweep = cfg.sweep_methods(config, f)
    return [(base, g, name) for base, points in sweep.items() for g, name in points.items()]


def get_figure_metrics(wildcards):
    f = config["figures"][wildcards.figure]
    methods = sorted({name for _, _, name in figure_points(wildcards.figure)} | {f["baseline"]})
    splits = figure_splits(wildcards.figure)
    return [x for s in splits for m in methods for x in run_metrics(f["dataset"], s, m)]


def figure_outputs(figure):
    return expand(f"{RESULTS}/figures/{figure}.{{ext}}", ext=["png", "pdf", "csv"])


def table_outputs(table):
    return expand(f"{RESULTS}/tables/{table}.{{ext}}", ext=["md", "csv", "tex"])


def get_all_tables(wildcards):
    tables = [f for table in config["tables"] for f in table_outputs(table)]
    return tables + [f for fig in config.get("figures", {}) for f in figure_outputs(fig)]
