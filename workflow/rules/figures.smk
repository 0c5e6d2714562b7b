# Figures: sweeps of a method hyperparameter (DIGL Figure 3's gamma, GraphSMOTE Figure 3's
# over-sampling scale, ECGN Figure 2's cluster count), one target rule per figure so
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
            labels=lambda wc: figure_report_labels(wc, "PNG"),
        ),
        pdf=f"{RESULTS}/figures/{{figure}}.pdf",
        csv=report(
            f"{RESULTS}/figures/{{figure}}.csv",
            caption="../report/figure_csv.rst",
            category="Figures",
            subcategory="{figure}",
            labels=lambda wc: figure_report_labels(wc, "CSV (plotted points)"),
        ),
    log:
        f"{RESULTS}/logs/render_figure/{{figure}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_figure/{{figure}}.tsv"
    wildcard_constraints:
        figure=alternatives(list(FIGURES)),
    params:
        figure=lambda wc: FIGURES[wc.figure],
        splits=lambda wc: cfg.figure_splits(config, FIGURES[wc.figure]),
        points=lambda wc: figure_points(wc.figure)[0],
        baselines=lambda wc: figure_points(wc.figure)[1],
        seeds=lambda wc: CATALOGS[FIGURES[wc.figure]["task"]].seeds,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_figure.py"


for _figure in FIGURES:

    rule:
        name:
            _figure
        input:
            figure_outputs(_figure),
