# Face clustering as linkage prediction (DIGL, RGCN): the `linkage:` section's validation,
# wildcard constraints and input functions. Included only when the config has that section.
import os

from imbgraph.linkage import config as lcfg

LINKAGE = config["linkage"]
validate_section(LINKAGE, "linkage.schema.yaml", "linkage")
lcfg.check(LINKAGE, where=f"{CONFIG_NAME}: linkage")
LINKAGE_SEEDS = cfg.family_seeds(config, "linkage")
LINKAGE_FIGURES = {n: f for n, f in config.get("figures", {}).items() if f["task"] == "linkage"}
lcfg.check_figure_gammas(LINKAGE, LINKAGE_FIGURES, where=CONFIG_NAME)
CATALOGS["linkage"] = lcfg.catalog(LINKAGE, LINKAGE_SEEDS)
# Gamma-sweep points no method declares become methods of their own (DIGL Fig. 3).
LINKAGE["methods"] = cfg.with_sweep_methods(CATALOGS["linkage"], LINKAGE_FIGURES)
# seeds_per_job: 1 makes every seed a job of its own (SLURM, paper scale); by default one
# job trains (evaluates) every seed of a method on a split.
LINKAGE_PER_SEED = per_seed_jobs(LINKAGE)

L_RESULTS = f"{RESULTS}/linkage"
L_DATASETS = list(LINKAGE["datasets"])
L_SYNTHETIC = [d for d in L_DATASETS if LINKAGE["datasets"][d]["source"] == "synthetic"]
L_FILE_BASED = [d for d in L_DATASETS if LINKAGE["datasets"][d]["source"] == "learn_to_cluster"]
L_SUBSETS = sorted({s for d in L_DATASETS for s in lcfg.subset_specs(LINKAGE, d)})
L_THREADS = LINKAGE["threads"]
# Keyword arguments of every linkage rule's `wildcard_constraints:`, so that a typo cannot
# match the wrong file and other families' names stay out of these rules.
L_WILDCARDS = dict(
    dataset=alternatives(L_DATASETS),
    split=alternatives(["train", "test", *L_SUBSETS]),
    subset=alternatives(L_SUBSETS),
    method=alternatives(list(LINKAGE["methods"])),
    clusterer=alternatives(list(LINKAGE.get("clusterers", {}))),
    seed=r"\d+",
    shard=r"\d+",
)


def linkage_split_files(dataset, split):
    base = f"{L_RESULTS}/data/{dataset}/{split}"
    return {"features": f"{base}/features.npy", "labels": f"{base}/labels.parquet"}


def linkage_shard_files(dataset, split):
    return expand(
        f"{L_RESULTS}/subgraphs/{dataset}/{split}/shard{{shard}}.parquet",
        shard=range(LINKAGE["partition"]["shards"]),
    )


def linkage_paths(pattern):
    """Per-seed paths of a train / evaluate job (see job_paths in common.smk)."""
    return job_paths(pattern, LINKAGE_SEEDS, LINKAGE_PER_SEED)


def linkage_job(kind, rule):
    """A train / evaluate job's log or benchmark file (``kind``: logs | benchmarks): one per
    seed or one per method and split, as the job's outputs."""
    parts = [RESULTS, kind, rule, "{dataset}", "{split}", "{method}"]
    if LINKAGE_PER_SEED:
        parts.append("seed{seed}")
    return os.path.join(*parts) + (".log" if kind == "logs" else ".tsv")


def linkage_run_metrics(dataset, split, method):
    return expand(
        f"{L_RESULTS}/runs/{dataset}/{split}/{method}/seed{{seed}}/metrics.json",
        seed=LINKAGE_SEEDS,
    )


def linkage_row(row):
    """Metrics files, label and where of a rows-table row naming a classic clusterer."""
    c = LINKAGE["clusterers"][row["clusterer"]]
    files = expand(
        f"{L_RESULTS}/clustering/{row['dataset']}/{row['clusterer']}/seed{{seed}}/metrics.json",
        seed=LINKAGE_SEEDS,
    )
    return files, row.get("label", c.get("label", row["clusterer"])), (row["dataset"], "test")


FAMILY_RUNS["linkage"] = {"run": linkage_run_metrics, "row": linkage_row}
