# G2GNN's graph of graphs: the kNN table of a dataset's graphs under a normalised graph
# kernel, computed once per dataset and kernel setting, shared by every G2GNN method and run.


rule graph_kernel_knn:
    input:
        graphcls_collection("{dataset}"),
    output:
        f"{G_RESULTS}/knn/{{dataset}}/{{knn}}.npy",
    log:
        f"{RESULTS}/logs/graph_kernel_knn/{{dataset}}/{{knn}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/graph_kernel_knn/{{dataset}}/{{knn}}.tsv"
    wildcard_constraints:
        **GRAPHCLS_WILDCARDS,
    params:
        kernel=lambda wc: G_KNN[wc.knn][0],
        k=lambda wc: G_KNN[wc.knn][1],
        kernel_params=lambda wc: G_KNN[wc.knn][2],
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,  # shortest-path kernel on D&D: ~1.5 min
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/graph_kernel_knn.py"
