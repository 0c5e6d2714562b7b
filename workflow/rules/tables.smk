# Tables stage: aggregate per-run metrics into paper tables (md / csv / tex), one target
# rule per table so `snakemake table1` rebuilds just that table.


rule render_table:
    input:
        metrics=get_table_metrics,
        reference=lambda wc: config["tables"][wc.table].get("reference", []),
    output:
        md=report(
            f"{RESULTS}/tables/{{table}}.md",
            caption="../report/table.rst",
            category="Tables",
            subcategory="{table}",
            labels=lambda wc: {"table": wc.table, "title": config["tables"][wc.table]["title"],
                               "file": "Markdown (paper layout)"},
        ),
        csv=report(
            f"{RESULTS}/tables/{{table}}.csv",
            caption="../report/table_csv.rst",
            category="Tables",
            subcategory="{table}",
            labels=lambda wc: {"table": wc.table, "title": config["tables"][wc.table]["title"],
                               "file": "CSV (tidy cells)"},
        ),
        tex=f"{RESULTS}/tables/{{table}}.tex",
    log:
        f"{RESULTS}/logs/render_table/{{table}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_table/{{table}}.tsv"
    params:
        table=lambda wc: {"name": wc.table, **config["tables"][wc.table]},
        labels=lambda wc: table_labels(wc.table),
        rows=lambda wc: table_rows(wc.table) if config["tables"][wc.table].get("kind") == "rows" else [],
        seeds=config["seeds"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_table.py"


for _table in config["tables"]:

    rule:
        name:
            _table
        input:
            table_outputs(_table),
