# Tables: aggregate per-run metrics into paper tables (md / csv / tex), one target rule per
# table so `snakemake table1` rebuilds just that table. Included after the families, whose
# common.smk filled CATALOGS and FAMILY_RUNS.
from imbgraph.tables.aggregate import reference_title

TABLES = config.get("tables", {})
cfg.check_outputs(config, CATALOGS, where=CONFIG_NAME)
# What each table compares with, for the report's captions: its reference file's title.
for _t in TABLES.values():
    _t["compared_with"] = reference_title(_t.get("reference"))


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


rule render_table:
    input:
        metrics=get_table_metrics,
        reference=lambda wc: TABLES[wc.table].get("reference", []),
    output:
        md=report(
            f"{RESULTS}/tables/{{table}}.md",
            caption="../report/table.rst",
            category="Tables",
            subcategory="{table}",
            labels=lambda wc: table_report_labels(wc, "Markdown (paper layout)"),
        ),
        csv=report(
            f"{RESULTS}/tables/{{table}}.csv",
            caption="../report/table_csv.rst",
            category="Tables",
            subcategory="{table}",
            labels=lambda wc: table_report_labels(wc, "CSV (tidy cells)"),
        ),
        tex=f"{RESULTS}/tables/{{table}}.tex",
    log:
        f"{RESULTS}/logs/render_table/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_table/{{table}}.tsv"
    wildcard_constraints:
        table=alternatives(list(TABLES)),
    params:
        table=lambda wc: {"name": wc.table, **TABLES[wc.table]},
        labels=lambda wc: table_labels(wc.table),
        rows=lambda wc: table_rows(wc.table) if TABLES[wc.table].get("kind") == "rows" else [],
        seeds=lambda wc: CATALOGS[TABLES[wc.table]["task"]].seeds,
        paper=lambda wc: TABLES[wc.table]["compared_with"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_table.py"


for _table in TABLES:

    rule:
        name:
            _table
        input:
            table_outputs(_table),
