# Subgraphs: IPS supersets per METIS shard, computed once per split and kNN setting and
# shared by every method trained or evaluated on that split.


rule build_subgraphs:
    input:
        knn=f"{L_RESULTS}/knn/{{dataset}}/{{split}}.parquet",
        partition=f"{L_RESULTS}/partition/{{dataset}}/{{split}}.parquet",
    output:
        f"{L_RESULTS}/subgraphs/{{dataset}}/{{split}}/shard{{shard}}.parquet",
    log:
        f"{RESULTS}/logs/build_subgraphs/{{dataset}}/{{split}}/shard{{shard}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_subgraphs/{{dataset}}/{{split}}/shard{{shard}}.tsv"
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        ips=lambda wc: lcfg.ips_params(LINKAGE, wc.dataset, wc.split),
    threads: L_THREADS["subgraphs"]
    resources:
        mem_mb=4000,
        runtime=60,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/build_subgraphs.py"
