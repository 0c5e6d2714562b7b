# Runs: one job per dataset x split x method, training and testing every seed (or one job
# per seed with `seeds_per_job: 1`).


rule run_nodecls:
    input:
        unpack(nodecls_run_inputs),
    output:
        **run_outputs(NC_RESULTS, nodecls_paths),
    log:
        nodecls_job("logs", "run_nodecls", "{dataset}", "{split}", "{method}"),
    benchmark:
        nodecls_job("benchmarks", "run_nodecls", "{dataset}", "{split}", "{method}")
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, NODECLS_SEEDS, NODECLS_PER_SEED),
        method=nodecls_method,
        data=nodecls_run_data,
    threads: NC_THREADS
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/run_nodecls.py"
