# Figures stage: DIGL Figure 3 (the gamma sweep), one target rule per figure so
# `snakemake figure3` rebuilds just that figure.


rule render_figure:
    input:
        metrics=get_figure_metrics,
    output:
        png=report(
            f"{RESULTS}/figures/{{figure}}.png",
            caption="../report/figure.rst",
            category="Figures",
            subcategory="{figure}",
            labels=lambda wc: {"figure": wc.figure, "title": config["figures"][wc.figure]["title"],
                               "file": "PNG"},
        ),
        pdf=f"{RESULTS}/figures/{{figure}}.pdf",
        csv=report(
            f"{RESULTS}/figures/{{figure}}.csv",
            caption="../report/figure_csv.rst",
            category="Figures",
            subcategory="{figure}",
            labels=lambda wc: {"figure": wc.figure, "title": config["figures"][wc.figure]["title"],
                               "file": "CSV (plotted points)"},
        ),
    log:
        f"{RESULTS}/logs/render_figure/{{figure}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_figure/{{figure}}.tsv"
    params:
        figure=lambda wc: config["figures"][wc.figure],
        splits=lambda wc: figure_splits(wc.figure),
        points=lambda wc: figure_points(wc.figure),
        labels=lambda wc: {
            m: method_label(m)
            for m in [*config["figures"][wc.figure]["methods"], config["figures"][wc.figure]["baseline"]]
        },
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_figure.py"


for _figure in config.get("figures", {}):

    rule:
        name:
            _figure
        input:
            figure_outputs(_figure),
