# InfoGraph / GraphCL pre-training: one job per dataset x split x pre-training spec (its key:
# kind, model, params.pretrain, PE width), embedding every graph with the frozen encoder for
# every seed (or one job per seed with `seeds_per_job: 1`). The runs of InfoGraph, -up and -rw
# (likewise GraphCL's) read the same files.


rule pretrain_graphcls:
    input:
        unpack(graphcls_pretrain_inputs),
    output:
        embeddings=graphcls_paths(f"{G_RESULTS}/pretrain/{{dataset}}/{{split}}/{{pretrain}}/seed{{seed}}.npy"),
        summaries=graphcls_paths(f"{G_RESULTS}/pretrain/{{dataset}}/{{split}}/{{pretrain}}/seed{{seed}}.json"),
    log:
        graphcls_job("logs", "pretrain_graphcls", "{dataset}", "{split}", "{pretrain}"),
    benchmark:
        graphcls_job("benchmarks", "pretrain_graphcls", "{dataset}", "{split}", "{pretrain}")
    wildcard_constraints:
        **GRAPHCLS_PRETRAIN_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, GRAPHCLS_SEEDS, GRAPHCLS_PER_SEED),
        spec=graphcls_pretrain_spec,
    threads: G_THREADS
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/pretrain_graphcls.py"
