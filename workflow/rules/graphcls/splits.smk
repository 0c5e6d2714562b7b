# Splits: the train / validation / test graphs of every seed, drawn once per dataset and
# split protocol, so that every method of a table sees the same graphs.


rule split_graphs:
    input:
        graphcls_collection("{dataset}"),
    output:
        graphcls_paths(f"{G_RESULTS}/splits/{{dataset}}/{{split}}/seed{{seed}}.json"),
    log:
        graphcls_job("logs", "split_graphs", "{dataset}", "{split}"),
    benchmark:
        graphcls_job("benchmarks", "split_graphs", "{dataset}", "{split}")
    wildcard_constraints:
        **GRAPHCLS_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED),
        protocol=lambda wc: gcfg.split_params(GRAPHCLS, wc.dataset, wc.split)[0],
        params=lambda wc: gcfg.split_params(GRAPHCLS, wc.dataset, wc.split)[1],
        where=lambda wc: f"graphcls.datasets.{wc.dataset}.splits.{wc.split}",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/split_graphs.py"
