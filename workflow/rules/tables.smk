# Tables: aggregate per-run metrics into paper tables (md / csv / tex), one target rule per
# table so `snakemake table1` rebuilds just that table. Included after the families, whose
# common.smk filled CATALOGS and FAMILY_RUNS.
# Every table and figure names only families, datasets, splits and methods the config has.
cfg.check_outputs(config, CATALOGS, where=CONFIG_NAME)
# What each table compares with, for the report's captions: its reference file's title.
for _t in TABLES.values():
    _t["compared_with"] = reference_title(_t.get("reference"))


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
