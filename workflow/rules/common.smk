# Validation, wildcard constraints and the input functions shared by several stages.
import math
import re

from snakemake.utils import validate

from imbgraph import config as cfg

validate(config, schema="../schemas/config.schema.yaml")
cfg.check(config, configfile=", ".join(map(str, workflow.configfiles)) or "config")

RESULTS = "results"
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


def get_table_metrics(wildcards):
    t = config["tables"][wildcards.table]
    return expand(
        f"{RESULTS}/runs/{t['dataset']}/{{split}}/{{method}}/seed{{seed}}/metrics.json",
        split=[c["split"] for c in t["columns"]],
        method=t["rows"],
        seed=config["seeds"],
    )


def table_outputs(table):
    return expand(f"{RESULTS}/tables/{table}.{{ext}}", ext=["md", "csv", "tex"])


def get_all_tables(wildcards):
    return [f for table in config["tables"] for f in table_outputs(table)]
