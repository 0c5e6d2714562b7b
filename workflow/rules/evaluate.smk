# Evaluate stage: score every test (pivot, hop-1) pair, propagate pseudo labels, measure.


rule evaluate_linkage:
    input:
        model=f"{RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.pt",
        history=f"{RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.json",
        features=f"{RESULTS}/data/{{dataset}}/test/features.npy",
        labels=f"{RESULTS}/data/{{dataset}}/test/labels.parquet",
        shards=lambda wc: shard_files(wc.dataset, "test"),
    output:
        edges=f"{RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/edges.parquet",
        clusters=f"{RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/clusters.parquet",
        metrics=f"{RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/metrics.json",
        timings=f"{RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/timings.json",
    log:
        f"{RESULTS}/logs/evaluate_linkage/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate_linkage/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.tsv"
    params:
        method=lambda wc: cfg.resolve_method(config, wc.method),
        k1=lambda wc: cfg.ips_params(config, wc.dataset, "test")["k1"],
        propagation=lambda wc: cfg.propagation(config, wc.dataset),
        run=lambda wc: {
            "dataset": wc.dataset,
            "split": wc.split,
            "method": wc.method,
            "seed": int(wc.seed),
        },
    threads: config["threads"]["evaluate"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPU_PER_JOB,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/evaluate_linkage.py"
