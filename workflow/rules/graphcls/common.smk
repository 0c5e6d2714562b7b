# Graph classification under class and topological imbalance (UniImb, ICLR'26, and its
# baselines): the `graphcls:` section's validation, registrations, wildcard constraints and
# input functions. Included only when the config has that section.
import os

from imbgraph.graphcls import config as gcfg

GRAPHCLS = config["graphcls"]
validate_section(GRAPHCLS, "graphcls.schema.yaml", "graphcls")
gcfg.check(GRAPHCLS, where=f"{CONFIG_NAME}: graphcls")
GRAPHCLS_SEEDS = cfg.family_seeds(config, "graphcls")
CATALOGS["graphcls"] = gcfg.catalog(GRAPHCLS, GRAPHCLS_SEEDS)  # no sweep figure: no sweep methods
# seeds_per_job: 1 makes every seed a job of its own (SLURM, paper scale); by default one job
# runs every seed of a method on a dataset and split (jobs are seconds; imports are not).
GRAPHCLS_PER_SEED = per_seed_jobs(GRAPHCLS)

G_RESULTS = f"{RESULTS}/graphcls"
G_DATASETS = list(GRAPHCLS["datasets"])
G_SYNTHETIC = [d for d in G_DATASETS if GRAPHCLS["datasets"][d]["source"] == "synthetic"]
G_FILE_BASED = [d for d in G_DATASETS if d not in G_SYNTHETIC]
G_KNN = gcfg.knn_tables(GRAPHCLS)  # G2GNN's graph-of-graphs tables, by file stem
G_THREADS = GRAPHCLS.get("threads", 1)
# Keyword arguments of every graphcls rule's `wildcard_constraints:`, so that a typo cannot
# match the wrong file and other families' names stay out of these rules.
GRAPHCLS_WILDCARDS = dict(
    dataset=alternatives(G_DATASETS),
    split=alternatives(list(GRAPHCLS["splits"])),
    method=alternatives(list(GRAPHCLS["methods"])),
    knn=alternatives(list(G_KNN)),
    seed=r"\d+",
)


def graphcls_collection(dataset):
    return f"{G_RESULTS}/data/{dataset}/collection.npz"


def graphcls_pe(dataset):
    """The dataset's cached random-walk PE (none when its pe_dim is 0)."""
    return [f"{G_RESULTS}/encodings/{dataset}/rwpe.npy"] if gcfg.pe_dim(GRAPHCLS, dataset) else []


def graphcls_knn(dataset, method):
    """The cached kNN table of graphs of a method with ``knn`` in its needs (G2GNN), of its
    params on the dataset."""
    spec = gcfg.knn_spec(gcfg.resolve_method(GRAPHCLS, method, dataset))
    return [f"{G_RESULTS}/knn/{dataset}/{gcfg.knn_name(spec)}.npy"] if spec else []


def graphcls_cached(wc, pretrained=True):
    """The cached inputs a run of the method reads, by the needs its kind declares
    (imbgraph.graphcls.methods.METHODS): the PE, the kernel kNN table, the pre-training (one
    file per seed of the job; ``pretrained=False``: a traced run pre-trains itself). Every
    name is present, empty when not needed, so that scripts test ``if input.knn``."""
    needs = gcfg.needs(gcfg.resolve_method(GRAPHCLS, wc.method, wc.dataset))
    pretrain = pretrained and "pretrain" in needs
    return {"pe": graphcls_pe(wc.dataset) if "pe" in needs else [],
            "knn": graphcls_knn(wc.dataset, wc.method) if "knn" in needs else [],
            "embeddings": graphcls_pretrain_files(wc, "npy") if pretrain else [],
            "pretrain_summaries": graphcls_pretrain_files(wc, "json") if pretrain else []}


def graphcls_paths(pattern):
    """Per-seed paths of a split / run job (see job_paths in common.smk)."""
    return job_paths(pattern, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED)


def graphcls_job(kind, rule, *parts):
    """A split / run job's log or benchmark file (``kind``: logs | benchmarks), with the
    wildcards ``parts`` of its outputs and, one job per seed, the seed."""
    parts = [RESULTS, kind, rule, *parts] + (["seed{seed}"] if GRAPHCLS_PER_SEED else [])
    return os.path.join(*parts) + (".log" if kind == "logs" else ".tsv")


def graphcls_split_files(wc):
    return expand(f"{G_RESULTS}/splits/{wc.dataset}/{wc.split}/seed{{seed}}.json",
                  seed=job_seeds(wc, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED))


def graphcls_run_inputs(wc):
    return {"collection": graphcls_collection(wc.dataset), "splits": graphcls_split_files(wc),
            **graphcls_cached(wc)}


def graphcls_run_data(wc):
    """What a run depended on besides the method, recorded in its settings.json; for a
    method of the user's own, its callable and module file's hash too (so that editing the
    code reruns its jobs; the job records which code ran)."""
    protocol, params = gcfg.split_params(GRAPHCLS, wc.dataset, wc.split)
    spec = gcfg.knn_spec(gcfg.resolve_method(GRAPHCLS, wc.method, wc.dataset))
    data = {"split_protocol": protocol, "split_params": params,
            "collection": gcfg.collection_params(GRAPHCLS, wc.dataset),
            "pe": {"dim": gcfg.pe_dim(GRAPHCLS, wc.dataset),
                   "method": GRAPHCLS.get("pe", {}).get("method", "half")},
            "knn": None if spec is None else {"kernel": spec[0], "k": spec[1], **spec[2]}}
    code = gcfg.method_code(GRAPHCLS, wc.method)
    return data if code is None else {**data, "plugin": code}


def graphcls_run_metrics(dataset, split, method):
    return expand(f"{G_RESULTS}/runs/{dataset}/{split}/{method}/seed{{seed}}/metrics.json",
                  seed=GRAPHCLS_SEEDS)


FAMILY_RUNS["graphcls"] = {"run": graphcls_run_metrics}


# --- convergence figures (convergence.smk) ---------------------------------------------------

G_CONVERGENCE = GRAPHCLS.get("convergence", {})
gcfg.check_convergence_seeds(GRAPHCLS, GRAPHCLS_SEEDS, where=f"{CONFIG_NAME}: graphcls")


def convergence_epochs(name):
    return max(G_CONVERGENCE[name]["budgets"])


def convergence_seeds(name):
    return G_CONVERGENCE[name].get("seeds", GRAPHCLS_SEEDS)


def convergence_traces(name):
    c = G_CONVERGENCE[name]
    pattern = os.path.join(G_RESULTS, "traces", "{dataset}", c["split"], "{method}",
                           f"epochs{convergence_epochs(name)}", "seed{seed}.json")
    return expand(pattern, dataset=c["datasets"], method=c["methods"],
                  seed=convergence_seeds(name))


def convergence_outputs(name):
    return expand(f"{RESULTS}/figures/{name}.{{ext}}", ext=["png", "pdf", "csv"])


def graphcls_trace_inputs(wc):
    return {"collection": graphcls_collection(wc.dataset),
            "split": f"{G_RESULTS}/splits/{wc.dataset}/{wc.split}/seed{wc.seed}.json",
            **graphcls_cached(wc, pretrained=False)}


# --- InfoGraph / GraphCL: one cached pre-training per (dataset, split, spec, seed) -----------
# (pretrain.smk); the -up / -rw rows differ only in the head's balance and share it.

G_PRETRAIN = gcfg.pretrain_plan(GRAPHCLS)  # (dataset, method) -> {"key", "spec"}
G_PRETRAIN_SPECS = {(d, v["key"]): v["spec"] for (d, _), v in G_PRETRAIN.items()}
GRAPHCLS_PRETRAIN_WILDCARDS = dict(
    GRAPHCLS_WILDCARDS,
    pretrain=alternatives(sorted({key for _, key in G_PRETRAIN_SPECS})),
)


def graphcls_pretrain_files(wc, ext):
    """The cached pre-training a run of a method with ``pretrain`` in its needs reads, one
    file per seed of the job (``ext``: npy, the embeddings; json, their summary)."""
    p = G_PRETRAIN[(wc.dataset, wc.method)]
    return expand(f"{G_RESULTS}/pretrain/{wc.dataset}/{wc.split}/{p['key']}/seed{{seed}}.{ext}",
                  seed=job_seeds(wc, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED))


def graphcls_pretrain_inputs(wc):
    return {"collection": graphcls_collection(wc.dataset), "pe": graphcls_pe(wc.dataset),
            "splits": graphcls_split_files(wc)}


def graphcls_pretrain_spec(wc):
    return G_PRETRAIN_SPECS[(wc.dataset, wc.pretrain)]
