# Subgraph stage: IPS supersets per METIS shard, computed once per split and kNN setting and
# shared by every method trained or evaluated on that split.


rule build_subgraphs:
    input:
        knn=f"{RESULTS}/knn/{{dataset}}/{{split}}.parquet",
        partition=f"{RESULTS}/partition/{{dataset}}/{{split}}.parquet",
    output:
        f"{RESULTS}/subgraphs/{{dataset}}/{{split}}/shard{{shard}}.parquet",
    log:
        f"{RESULTS}/logs/build_subgraphs/{{dataset}}/{{split}}/shard{{shard}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_subgraphs/{{dataset}}/{{split}}/shard{{shard}}.tsv"
    params:
        ips=lambda wc: cfg.ips_params(config, wc.dataset, wc.split),
    threads: config["threads"]["subgraphs"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/build_subgraphs.py"
