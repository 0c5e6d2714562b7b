# Node classification under class imbalance (GraphSMOTE, ECGN): the `nodecls:` section's
# validation, registrations, wildcard constraints and input functions. Included only when
# the config has that section.
import os

from imbgraph.nodecls import config as nccfg
from imbgraph.nodecls.data.splits import NEEDS_EDGES

NODECLS = config["nodecls"]
validate_section(NODECLS, "nodecls.schema.yaml", "nodecls")
nccfg.check(NODECLS, where=f"{CONFIG_NAME}: nodecls")
NODECLS_SEEDS = cfg.family_seeds(config, "nodecls")
NODECLS_TABLES = {n: t for n, t in config.get("tables", {}).items() if t["task"] == "nodecls"}
NODECLS_FIGURES = {n: f for n, f in config.get("figures", {}).items() if f["task"] == "nodecls"}
CATALOGS["nodecls"] = nccfg.catalog(NODECLS, NODECLS_SEEDS)
# The family's own tables and figures first (a figure sweeping a method that has no such
# hyperparameter is named here, before its sweep points are declared); tables.smk checks
# every family's again.
NODECLS_RANKINGS = {n: r for n, r in config.get("rankings", {}).items() if r["task"] == "nodecls"}
cfg.check_outputs({**config, "tables": NODECLS_TABLES, "figures": NODECLS_FIGURES,
                   "rankings": NODECLS_RANKINGS},
                  {"nodecls": CATALOGS["nodecls"]}, where=CONFIG_NAME)
# Sweep points no method declares become methods of their own (GraphSMOTE Fig. 3: the
# over-sampling scale; ECGN Fig. 2: the number of METIS clusters).
NODECLS["methods"] = cfg.with_sweep_methods(CATALOGS["nodecls"], NODECLS_FIGURES)
# seeds_per_job: 1 makes every seed a job of its own (SLURM, paper scale); by default one
# job trains every seed of a method on a dataset and split (jobs are seconds; imports not).
NODECLS_PER_SEED = per_seed_jobs(NODECLS)
# Every run the tables and figures read: its split's minority classes exist, its method
# resolves there (over-sampling scale, cluster count); the METIS partitions and the ECGN
# pre-trainings they share.
NODECLS_RUNS = nccfg.requested_runs(config, CATALOGS["nodecls"])
nccfg.check_runs(NODECLS, NODECLS_RUNS, where=f"{CONFIG_NAME}: nodecls")
NODECLS_PRETRAIN = nccfg.pretrain_plan(NODECLS, NODECLS_RUNS)
NODECLS_PRETRAIN_SETTINGS = {(d, s, v["k"], v["key"]): v["settings"]
                             for (d, s, _), v in NODECLS_PRETRAIN.items()}

NC_RESULTS = f"{RESULTS}/nodecls"
NC_DATASETS = list(NODECLS["datasets"])
NC_FILE_BASED = [d for d in NC_DATASETS if NODECLS["datasets"][d]["source"] != "synthetic"]
NC_DEEPWALK = [d for d in NC_DATASETS if "deepwalk" in NODECLS["datasets"][d]]
NC_THREADS = NODECLS.get("threads", 1)
# Keyword arguments of every nodecls rule's `wildcard_constraints:`, so that a typo cannot
# match the wrong file and other families' names stay out of these rules.
NODECLS_WILDCARDS = dict(
    dataset=alternatives(NC_DATASETS),
    split=alternatives(list(NODECLS["splits"])),
    method=alternatives(list(NODECLS["methods"])),
    seed=r"\d+",
    k=r"\d+",
    pretrain=r"[0-9a-f]{10}",
)


def nodecls_graph_files(dataset):
    base = f"{NC_RESULTS}/data/{dataset}/graph"
    return {"features": f"{base}/features.npy", "edges": f"{base}/edges.parquet",
            "nodes": f"{base}/nodes.parquet"}


def nodecls_raw_files(wc):
    """The dataset's raw files under data_root (none for a synthetic graph)."""
    return nccfg.raw_files(NODECLS, wc.dataset)


def nodecls_features(dataset):
    """The features the runs of ``dataset`` train on: its cached DeepWalk embeddings when
    it declares them, else the graph's own."""
    if dataset in NC_DEEPWALK:
        return f"{NC_RESULTS}/data/{dataset}/deepwalk/features.npy"
    return nodecls_graph_files(dataset)["features"]


def nodecls_paths(pattern):
    """Per-seed paths of a split / pre-training / run job (see job_paths in common.smk)."""
    return job_paths(pattern, NODECLS_SEEDS, NODECLS_PER_SEED)


def nodecls_job(kind, rule, *parts):
    """A job's log or benchmark file (``kind``: logs | benchmarks) with the wildcards
    ``parts`` of its outputs and, one job per seed, the seed."""
    parts = [RESULTS, kind, rule, *parts] + (["seed{seed}"] if NODECLS_PER_SEED else [])
    return os.path.join(*parts) + (".log" if kind == "logs" else ".tsv")


def nodecls_split_inputs(wc):
    """The graph's node table, and its edges for a protocol that reads degrees
    (imbgraph.nodecls.data.splits.NEEDS_EDGES: GraphENS's long tail)."""
    files = nodecls_graph_files(wc.dataset)
    spec = nccfg.resolve_split(NODECLS, wc.split, wc.dataset)
    return {"nodes": files["nodes"],
            **({"edges": files["edges"]} if spec["protocol"] in NEEDS_EDGES else {})}


def nodecls_split_files(wc):
    return expand(f"{NC_RESULTS}/splits/{wc.dataset}/{wc.split}/seed{{seed}}.parquet",
                  seed=job_seeds(wc, NODECLS_SEEDS, NODECLS_PER_SEED))


def nodecls_k(wc):
    """k of a run's METIS clusters (None: its method declares no "clusters" input)."""
    return nccfg.cluster_count(NODECLS, wc.dataset, wc.method)


def nodecls_cluster_where(dataset):
    """What the errors of a METIS job of ``dataset`` name. The same for every method that
    reads the partition: a params value that listed them would rerun the partition, and
    every run reading it, whenever a method is added."""
    return (f"the METIS cluster count of {dataset} (nodecls.clusters.k.{dataset}, a method's "
            "balancing.clusters or a figure's clusters sweep)")


def nodecls_clusters(wc):
    k = nodecls_k(wc)
    return [] if k is None else [f"{NC_RESULTS}/data/{wc.dataset}/clusters/k{k}.parquet"]


def nodecls_pretrain(wc):
    """A run's cached ECGN pre-training (per seed of the job), when another run shares it."""
    p = NODECLS_PRETRAIN.get((wc.dataset, wc.split, wc.method))
    if p is None:
        return []
    return expand(f"{NC_RESULTS}/pretrain/{wc.dataset}/{wc.split}/k{p['k']}_{p['key']}/"
                  "seed{seed}.pt", seed=job_seeds(wc, NODECLS_SEEDS, NODECLS_PER_SEED))


def nodecls_run_inputs(wc):
    """The graph, the splits and the cached inputs the run's method declares (one named
    input per word of imbgraph.nodecls.methods.CACHED; empty when not needed)."""
    return {**nodecls_graph_files(wc.dataset), "features": nodecls_features(wc.dataset),
            "splits": nodecls_split_files(wc), "clusters": nodecls_clusters(wc),
            "pretrain": nodecls_pretrain(wc)}


def nodecls_method(wc):
    """The fully resolved method of a run (its over-sampling scale from the split, its
    cluster count from the dataset)."""
    return nccfg.resolve_method(NODECLS, wc.method, split=wc.split, dataset=wc.dataset)


def nodecls_run_data(wc):
    """What a run depended on besides the method, recorded in its settings.json; for a
    method of the user's own, its callable and module file's hash too (so that editing the
    code reruns its jobs; the job records which code ran)."""
    k = nodecls_k(wc)
    entry = NODECLS["datasets"][wc.dataset]
    data = {"split_spec": nccfg.resolve_split(NODECLS, wc.split, wc.dataset),
            "dataset_entry": ({**entry, "deepwalk": nccfg.deepwalk_settings(NODECLS, wc.dataset)}
                              if "deepwalk" in entry else entry),
            "data_root": NODECLS.get("data_root") if entry["source"] != "synthetic" else None,
            "clusters": None if k is None else nccfg.cluster_rule_params(NODECLS, k),
            "cached_pretrain": bool(nodecls_pretrain(wc))}
    code = nccfg.method_code(NODECLS, wc.method)
    return data if code is None else {**data, "plugin": code}


def nodecls_run_metrics(dataset, split, method):
    return expand(f"{NC_RESULTS}/runs/{dataset}/{split}/{method}/seed{{seed}}/metrics.json",
                  seed=NODECLS_SEEDS)


FAMILY_RUNS["nodecls"] = {"run": nodecls_run_metrics}
