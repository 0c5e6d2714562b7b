# kNN stage: one faiss search per split; the same index kind for train subsets and test.


rule knn_search:
    input:
        unpack(get_split),
    output:
        f"{RESULTS}/knn/{{dataset}}/{{split}}.parquet",
    log:
        f"{RESULTS}/logs/knn_search/{{dataset}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/knn_search/{{dataset}}/{{split}}.tsv"
    params:
        k=lambda wc: cfg.knn_k(config, wc.dataset, wc.split),
        index=config["knn"]["index"],
        index_params=config["knn"].get("params", {}),
        recall_queries=config["knn"].get("recall_queries", 0),
    threads: config["threads"]["knn"]
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/knn_search.py"
