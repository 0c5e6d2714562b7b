# Train: one job per method x training split, training every seed (or one job per seed
# with `seeds_per_job: 1`).


rule train_linkage:
    input:
        unpack(lambda wc: linkage_split_files(wc.dataset, wc.split)),
        shards=lambda wc: linkage_shard_files(wc.dataset, wc.split),
    output:
        models=linkage_paths(f"{L_RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.pt"),
        histories=linkage_paths(f"{L_RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.json"),
    log:
        linkage_job("logs", "train_linkage"),
    benchmark:
        linkage_job("benchmarks", "train_linkage")
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, LINKAGE_SEEDS, LINKAGE_PER_SEED),
        method=lambda wc: lcfg.resolve_method(LINKAGE, wc.method),
        k1=lambda wc: lcfg.ips_params(LINKAGE, wc.dataset, wc.split)["k1"],
        checkpoints=lambda wc: [
            f"{L_RESULTS}/checkpoints/{wc.dataset}/{wc.split}/{wc.method}/seed{s}.ckpt"
            for s in job_seeds(wc, LINKAGE_SEEDS, LINKAGE_PER_SEED)
        ],
    threads: L_THREADS["train"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/train_linkage.py"
