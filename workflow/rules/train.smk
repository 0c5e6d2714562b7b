# Train stage: one job per method x training split x seed.


rule train_linkage:
    input:
        unpack(get_split),
        shards=get_shards,
    output:
        model=f"{RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.pt",
        history=f"{RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.json",
    log:
        f"{RESULTS}/logs/train_linkage/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train_linkage/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.tsv"
    params:
        method=lambda wc: cfg.resolve_method(config, wc.method),
        k1=lambda wc: cfg.ips_params(config, wc.dataset, wc.split)["k1"],
        checkpoint=lambda wc: f"{RESULTS}/checkpoints/{wc.dataset}/{wc.split}/{wc.method}/seed{wc.seed}.ckpt",
    threads: config["threads"]["train"]
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=GPU_PER_JOB,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/train_linkage.py"
