# Classic clusterers on a dataset's test split (the RGCN paper's Table 2 baselines): one job
# per clusterer and seed, metrics comparable with the linkage runs'.


rule cluster_baseline:
    input:
        unpack(lambda wc: split_files(wc.dataset, "test")),
    output:
        clusters=f"{RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/clusters.parquet",
        metrics=f"{RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/metrics.json",
        timings=f"{RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/timings.json",
    log:
        f"{RESULTS}/logs/cluster_baseline/{{dataset}}/{{clusterer}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/cluster_baseline/{{dataset}}/{{clusterer}}/seed{{seed}}.tsv"
    params:
        clusterer=lambda wc: config["clusterers"][wc.clusterer],
        run=lambda wc: {"dataset": wc.dataset, "split": "test", "clusterer": wc.clusterer,
                        "seed": int(wc.seed)},
    threads: config["threads"].get("cluster", 1)
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/cluster_baseline.py"
