# METIS clusters of a dataset, one partition per (dataset, k), read by every method that
# uses clusters (ClusterGCN, cluster features, ECGN; ECGN Figure 2 sweeps k); and ECGN's
# pre-training of its cluster networks, cached when several runs share it (ECGN, its
# ablations and weight-transfer variants: one per dataset, split, k and pre-training
# settings).


rule metis_node_clusters:
    input:
        **nodecls_graph_files("{dataset}"),
    output:
        f"{NC_RESULTS}/data/{{dataset}}/clusters/k{{k}}.parquet",
    log:
        f"{RESULTS}/logs/metis_node_clusters/{{dataset}}/k{{k}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/metis_node_clusters/{{dataset}}/k{{k}}.tsv"
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        metis=lambda wc: nccfg.cluster_rule_params(NODECLS, int(wc.k)),
        where=lambda wc: nodecls_cluster_where(wc.dataset),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/metis_node_clusters.py"


rule pretrain_ecgn:
    input:
        features=lambda wc: nodecls_features(wc.dataset),
        edges=nodecls_graph_files("{dataset}")["edges"],
        nodes=nodecls_graph_files("{dataset}")["nodes"],
        splits=nodecls_split_files,
        clusters=f"{NC_RESULTS}/data/{{dataset}}/clusters/k{{k}}.parquet",
    output:
        nodecls_paths(f"{NC_RESULTS}/pretrain/{{dataset}}/{{split}}/k{{k}}_{{pretrain}}/seed{{seed}}.pt"),
    log:
        nodecls_job("logs", "pretrain_ecgn", "{dataset}", "{split}", "k{k}_{pretrain}"),
    benchmark:
        nodecls_job("benchmarks", "pretrain_ecgn", "{dataset}", "{split}", "k{k}_{pretrain}")
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        seeds=lambda wc: job_seeds(wc, NODECLS_SEEDS, NODECLS_PER_SEED),
        settings=lambda wc: NODECLS_PRETRAIN_SETTINGS[
            (wc.dataset, wc.split, int(wc.k), wc.pretrain)],
    threads: NC_THREADS
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=GPU_PER_JOB,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/pretrain_ecgn.py"
