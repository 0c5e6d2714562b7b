# Data: every dataset ends up as results/nodecls/data/{dataset}/graph/{features.npy,
# edges.parquet,nodes.parquet} (generated, or read from the raw files under data_root, which
# is never written to), plus, for graphs without features of their own, cached DeepWalk
# embeddings that every method of the dataset reads.


rule build_node_graph:
    input:
        nodecls_raw_files,
    output:
        **nodecls_graph_files("{dataset}"),
    log:
        f"{RESULTS}/logs/build_node_graph/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/build_node_graph/{{dataset}}.tsv"
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        entry=lambda wc: {k: v for k, v in NODECLS["datasets"][wc.dataset].items()
                          if k != "deepwalk"},
        data_root=lambda wc: NODECLS.get("data_root") if wc.dataset in NC_FILE_BASED else None,
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/build_node_graph.py"


rule deepwalk_features:
    input:
        **nodecls_graph_files("{dataset}"),
    output:
        f"{NC_RESULTS}/data/{{dataset}}/deepwalk/features.npy",
    log:
        f"{RESULTS}/logs/deepwalk_features/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/deepwalk_features/{{dataset}}.tsv"
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        deepwalk=lambda wc: nccfg.deepwalk_settings(NODECLS, wc.dataset),
    # One gensim worker: what makes the embedding a function of the seed alone.
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/deepwalk_features.py"
