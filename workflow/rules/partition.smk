# Partition stage: METIS shards of the symmetrised kNN graph; subgraphs are built per shard.


rule metis_partition:
    input:
        f"{RESULTS}/knn/{{dataset}}/{{split}}.parquet",
    output:
        f"{RESULTS}/partition/{{dataset}}/{{split}}.parquet",
    log:
        f"{RESULTS}/logs/metis_partition/{{dataset}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/metis_partition/{{dataset}}/{{split}}.tsv"
    params:
        shards=config["partition"]["shards"],
        seed=config["partition"]["seed"],
        # METIS sees the graph the test/train subgraphs are made of: the top-u links.
        k=lambda wc: cfg.ips_params(config, wc.dataset, wc.split)["u"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/metis_partition.py"
