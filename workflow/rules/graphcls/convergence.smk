# Convergence figures (`graphcls.convergence`, e.g. uniimb_convergence): the test score at the
# best validation epoch against the epoch budget. One long traced run per dataset, split,
# method and seed (no early stopping; tested at every new best validation loss) gives the
# score of every shorter budget (imbgraph.graphcls.convergence). Input functions: common.smk.


rule trace_graphcls:
    input:
        unpack(graphcls_trace_inputs),
    output:
        f"{G_RESULTS}/traces/{{dataset}}/{{split}}/{{method}}/epochs{{epochs}}/seed{{seed}}.json",
    log:
        f"{RESULTS}/logs/trace_graphcls/{{dataset}}/{{split}}/{{method}}/epochs{{epochs}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/trace_graphcls/{{dataset}}/{{split}}/{{method}}/epochs{{epochs}}/seed{{seed}}.tsv"
    wildcard_constraints:
        **GRAPHCLS_WILDCARDS,
        epochs=r"\d+",
    params:
        method=lambda wc: gcfg.trace_method(GRAPHCLS, wc.method, wc.dataset, int(wc.epochs)),
        data=graphcls_run_data,
    threads: G_THREADS
    resources:
        mem_mb=4000,
        runtime=240,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/trace_graphcls.py"


rule render_convergence:
    input:
        lambda wc: convergence_traces(wc.figure),
    output:
        png=report(
            f"{RESULTS}/figures/{{figure}}.png",
            caption="../../report/convergence.rst",
            category="Figures",
            subcategory="{figure}",
            labels=lambda wc: {"figure": wc.figure, "title": G_CONVERGENCE[wc.figure]["title"],
                               "file": "PNG"},
        ),
        pdf=f"{RESULTS}/figures/{{figure}}.pdf",
        csv=report(
            f"{RESULTS}/figures/{{figure}}.csv",
            caption="../../report/convergence.rst",
            category="Figures",
            subcategory="{figure}",
            labels=lambda wc: {"figure": wc.figure, "title": G_CONVERGENCE[wc.figure]["title"],
                               "file": "CSV (plotted points)"},
        ),
    log:
        f"{RESULTS}/logs/render_convergence/{{figure}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_convergence/{{figure}}.tsv"
    wildcard_constraints:
        figure=alternatives(list(G_CONVERGENCE)),
    params:
        figure=lambda wc: G_CONVERGENCE[wc.figure],
        labels=lambda wc: {m: CATALOGS["graphcls"].label(m)
                           for m in G_CONVERGENCE[wc.figure]["methods"]},
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/render_convergence.py"


for _figure in G_CONVERGENCE:

    rule:
        name:
            _figure
        input:
            convergence_outputs(_figure),


FAMILY_TARGETS.extend(f for name in G_CONVERGENCE for f in convergence_outputs(name))
