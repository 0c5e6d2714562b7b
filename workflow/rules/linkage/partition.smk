# Partition: METIS shards of the symmetrised kNN graph; subgraphs are built per shard.


rule metis_partition:
    input:
        f"{L_RESULTS}/knn/{{dataset}}/{{split}}.parquet",
    output:
        f"{L_RESULTS}/partition/{{dataset}}/{{split}}.parquet",
    log:
        f"{RESULTS}/logs/metis_partition/{{dataset}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/metis_partition/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        shards=LINKAGE["partition"]["shards"],
        seed=LINKAGE["partition"]["seed"],
        # METIS sees the graph the test/train subgraphs are made of: the top-u links.
        k=lambda wc: lcfg.ips_params(LINKAGE, wc.dataset, wc.split)["u"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/metis_partition.py"
