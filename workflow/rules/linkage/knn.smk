# kNN: one faiss search per split; the same index kind for train subsets and test.


rule knn_search:
    input:
        unpack(lambda wc: linkage_split_files(wc.dataset, wc.split)),
    output:
        f"{L_RESULTS}/knn/{{dataset}}/{{split}}.parquet",
    log:
        f"{RESULTS}/logs/knn_search/{{dataset}}/{{split}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/knn_search/{{dataset}}/{{split}}.tsv"
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        k=lambda wc: lcfg.knn_k(LINKAGE, wc.dataset, wc.split),
        index=LINKAGE["knn"]["index"],
        index_params=LINKAGE["knn"].get("params", {}),
        recall_queries=LINKAGE["knn"].get("recall_queries", 0),
    threads: L_THREADS["knn"]
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/knn_search.py"
