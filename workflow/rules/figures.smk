# Figures: sweeps of a method hyperparameter (DIGL Figure 3's gamma, GraphSMOTE Figure 3's
# over-sampling scale, ECGN Figure 2's cluster count), one target rule per figure so
# `snakemake figure3` rebuilds just that figure.

FIGURES = config.get("figures", {})


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
