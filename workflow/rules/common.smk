# Shared set-up: the shared keys' validation, the results directory, and the registry
# through which each family's rules tell the table and figure rules where its runs' metrics
# files are (FAMILY_RUNS) and what its tables may name (CATALOGS).
import os
import re

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from imbgraph import config as cfg
from imbgraph.io.strict_yaml import check_config_file
from imbgraph.io.writable import check_writable_dir
from imbgraph.tables.aggregate import reference_title

# Each config file is a non-empty mapping (`{}` would otherwise fail the schema without a
# file name) without repeated keys (YAML keeps the last of two equal keys: a second `RIWS:`
# would replace the first unseen).
for _configfile in workflow.configfiles:
    check_config_file(_configfile)
CONFIG_NAME = ", ".join(map(str, workflow.configfiles)) or "config"
cfg.command_line_seeds(config)  # `--config 'seeds=[0,1]'`: Snakemake passes strings


def validate_section(section, schema, where=None):
    """Snakemake's validate of ``section`` (the config's key ``where``; None: the whole
    config) against workflow/schemas/``schema``; a failure names the config file(s), the key
    and the schema (imbgraph.config.schema_error)."""
    try:
        validate(section, schema=os.path.join(workflow.basedir, "workflow/schemas", schema))
    except WorkflowError as err:
        raise cfg.schema_error(err, CONFIG_NAME, where, schema) from None


validate_section(config, "config.schema.yaml")

RESULTS = "results"
check_writable_dir(RESULTS)  # fail before scheduling, not in the first job
# A GPU job asks for one `gpu` unit, so `resources: gpu=1` (profiles/local) keeps two of them
# off one card; CPU-only machines ask for none and run training jobs side by side.
GPU_PER_JOB = cfg.gpu_per_job(config)

# family -> imbgraph.config.Catalog of its section (filled by workflow/rules/<family>/common.smk)
CATALOGS = {}
# family -> {"run": f(dataset, split, method) -> metrics files (one per seed),
#            "row": f(row) -> (metrics files, label, where) for its extra row kinds}
FAMILY_RUNS = {}
# Outputs of a family's own figure kinds (graphcls' convergence figures), for `rule all`.
FAMILY_TARGETS = []


def alternatives(names):
    """A wildcard pattern matching exactly ``names`` (nothing when the list is empty: an
    empty alternation would match the empty string)."""
    return "|".join(map(re.escape, names)) if names else "(?!x)x"


def job_paths(pattern, seeds, per_seed):
    """A run job's per-seed output paths: the ``{seed}`` wildcard when every seed is a job
    of its own (SLURM, paper scale), else one path per seed of the family (one job trains
    them all, paying the python and torch start-up once)."""
    if per_seed:
        return [pattern]  # a list, so scripts see a list of paths in both modes
    return expand(pattern, seed=seeds, allow_missing=True)


def run_outputs(results, paths):
    """The outputs of a family's run rule (every family's run jobs write the same three files
    per seed under results/runs/{dataset}/{split}/{method}/seed{seed}/); ``paths`` is the
    family's per-seed path expander (job_paths with its seeds)."""
    run = f"{results}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}"
    return {name: paths(f"{run}/{name}.json") for name in ("metrics", "timings", "settings")}


def job_seeds(wildcards, seeds, per_seed):
    """The seeds one run job handles (see job_paths)."""
    return [int(wildcards.seed)] if per_seed else list(seeds)


def per_seed_jobs(section):
    value = section.get("seeds_per_job", "all")
    return value == 1


# --- tables and figures: their inputs, from each family's FAMILY_RUNS -----------------------

TABLES = config.get("tables", {})
FIGURES = config.get("figures", {})


def table_rows(table):
    """Rows of a `kind: rows` table: label, dataset, split, metrics files (one per seed)."""
    t = TABLES[table]
    runs, catalog = FAMILY_RUNS[t["task"]], CATALOGS[t["task"]]
    rows = []
    for r in t["rows"]:
        if "method" in r:
            files = runs["run"](r["dataset"], r["split"], r["method"])
            label = r.get("label", catalog.label(r["method"]))
            where = (r["dataset"], r["split"])
        else:
            files, label, where = runs["row"](r)
        rows.append({"label": label, "dataset": where[0], "split": where[1], "files": files,
                     **({"paper": r["paper"]} if "paper" in r else {})})
    return rows


def table_labels(table):
    """Row labels of a grid table (rows tables carry theirs in table_rows)."""
    t = TABLES[table]
    if t.get("kind", "grid") == "rows":
        return {}
    return {m: CATALOGS[t["task"]].label(m) for m in t["rows"]}


def get_table_metrics(wildcards):
    t = TABLES[wildcards.table]
    if t.get("kind", "grid") == "rows":  # metrics.json and the timings.json beside it
        files = [f for row in table_rows(wildcards.table) for f in row["files"]]
        return files + [f.replace("metrics.json", "timings.json") for f in files]
    run = FAMILY_RUNS[t["task"]]["run"]
    return [f for c in cfg.grid_columns(t) for m in t["rows"]
            for f in run(c["dataset"], c["split"], m)]


def table_outputs(table):
    return expand(f"{RESULTS}/tables/{table}.{{ext}}", ext=["md", "csv", "tex"])


def table_report_labels(wc, kind):
    return {"table": wc.table, "title": TABLES[wc.table]["title"], "file": kind}


def figure_points(figure):
    """(series, x, method, dataset) of every point of a sweep figure, and the baselines as
    (series, method, dataset)."""
    f = FIGURES[figure]
    catalog = CATALOGS[f["task"]]
    sweep = cfg.sweep_methods(catalog, f)
    datasets = cfg.figure_datasets(f)

    def series(base, dataset):
        if len(datasets) == 1:
            return catalog.label(base)
        if len(f["methods"]) == 1:
            return f.get("dataset_labels", {}).get(dataset, dataset)
        return f"{catalog.label(base)}, {dataset}"

    points = [(series(base, d), x, name, d) for d in datasets
              for base, xs in sweep.items() for x, name in xs.items()]
    baselines = [(series(f["baseline"], d), f["baseline"], d) for d in datasets
                 if "baseline" in f]
    return points, baselines


def get_figure_metrics(wildcards):
    f = FIGURES[wildcards.figure]
    points, baselines = figure_points(wildcards.figure)
    runs = sorted({(m, d) for _, _, m, d in points} | {(m, d) for _, m, d in baselines})
    run = FAMILY_RUNS[f["task"]]["run"]
    return [x for s in cfg.figure_splits(config, f) for m, d in runs for x in run(d, s, m)]


def figure_outputs(figure):
    return expand(f"{RESULTS}/figures/{figure}.{{ext}}", ext=["png", "pdf", "csv"])


def figure_report_labels(wc, kind):
    return {"figure": wc.figure, "title": FIGURES[wc.figure]["title"], "file": kind}


# --- rankings: protocol sensitivity studies (imbgraph.tables.sensitivity) -------------------

RANKINGS = config.get("rankings", {})


def get_ranking_metrics(wildcards):
    r = RANKINGS[wildcards.ranking]
    run = FAMILY_RUNS[r["task"]]["run"]
    return [f for d, _, s in cfg.ranking_cells(r) for m in r["rows"] for f in run(d, s, m)]


def ranking_outputs(ranking):
    base = f"{RESULTS}/rankings/{ranking}"
    return [f"{base}.md", f"{base}_tau.csv", f"{base}_ranks.csv",
            f"{base}_ranks.png", f"{base}_ranks.pdf", f"{base}_cd.png", f"{base}_cd.pdf"]


def ranking_report_labels(wc, kind):
    return {"ranking": wc.ranking, "title": RANKINGS[wc.ranking]["title"], "file": kind}
