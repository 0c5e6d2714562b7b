# Runs: one job per dataset x split x method, training and testing every seed (or one job
# per seed with `seeds_per_job: 1`).


rule run_graphcls:
    input:
        unpack(graphcls_run_inputs),
    output:
        **run_outputs(G_RESULTS, graphcls_paths),
    log:
        graphcls_job("logs", "run_graphcls", "{dataset}", "{split}", "{method}"),
    benchmark:
        graphcls_job("benchmarks", "run_graphcls", "{dataset}", "{split}", "{method}")
    wildcard_constraints:
        **GRAPHCLS_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED),
        method=lambda wc: gcfg.resolve_method(GRAPHCLS, wc.method, wc.dataset),
        data=graphcls_run_data,
    threads: G_THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/run_graphcls.py"
