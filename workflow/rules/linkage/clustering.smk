# Classic clusterers on a dataset's test split (the RGCN paper's Table 2 baselines): one job
# per clusterer and seed, metrics comparable with the linkage runs'.


rule cluster_baseline:
    input:
        unpack(lambda wc: linkage_split_files(wc.dataset, "test")),
    output:
        clusters=f"{L_RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/clusters.parquet",
        metrics=f"{L_RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/metrics.json",
        timings=f"{L_RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/timings.json",
        settings=f"{L_RESULTS}/clustering/{{dataset}}/{{clusterer}}/seed{{seed}}/settings.json",
    log:
        f"{RESULTS}/logs/cluster_baseline/{{dataset}}/{{clusterer}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/cluster_baseline/{{dataset}}/{{clusterer}}/seed{{seed}}.tsv"
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        clusterer=lambda wc: LINKAGE["clusterers"][wc.clusterer],
    threads: L_THREADS.get("cluster", 1)
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/cluster_baseline.py"
