# Evaluate: score every test (pivot, hop-1) pair, propagate pseudo labels, measure; one job
# per method x training split for every seed (or per seed with `seeds_per_job: 1`).


rule evaluate_linkage:
    input:
        models=linkage_paths(f"{L_RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.pt"),
        histories=linkage_paths(f"{L_RESULTS}/models/{{dataset}}/{{split}}/{{method}}/seed{{seed}}.json"),
        features=f"{L_RESULTS}/data/{{dataset}}/test/features.npy",
        labels=f"{L_RESULTS}/data/{{dataset}}/test/labels.parquet",
        shards=lambda wc: linkage_shard_files(wc.dataset, "test"),
    output:
        edges=linkage_paths(f"{L_RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/edges.parquet"),
        clusters=linkage_paths(f"{L_RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/clusters.parquet"),
        metrics=linkage_paths(f"{L_RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/metrics.json"),
        timings=linkage_paths(f"{L_RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/timings.json"),
        settings=linkage_paths(f"{L_RESULTS}/runs/{{dataset}}/{{split}}/{{method}}/seed{{seed}}/settings.json"),
    log:
        linkage_job("logs", "evaluate_linkage"),
    benchmark:
        linkage_job("benchmarks", "evaluate_linkage")
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, LINKAGE_SEEDS, LINKAGE_PER_SEED),
        method=lambda wc: lcfg.resolve_method(LINKAGE, wc.method),
        k1=lambda wc: lcfg.ips_params(LINKAGE, wc.dataset, "test")["k1"],
        propagation=lambda wc: lcfg.propagation(LINKAGE, wc.dataset),
        # What the runs depended on besides the method, recorded in settings.json.
        data=lambda wc: {
            "train_ips": lcfg.ips_params(LINKAGE, wc.dataset, wc.split),
            "test_ips": lcfg.ips_params(LINKAGE, wc.dataset, "test"),
            "subset": lcfg.subset_specs(LINKAGE, wc.dataset).get(wc.split),
            "knn": LINKAGE["knn"],
            "partition": LINKAGE["partition"],
        },
    threads: L_THREADS["evaluate"]
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/evaluate_linkage.py"
