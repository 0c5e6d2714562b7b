# Data: every dataset ends up as one graph collection,
# results/graphcls/data/{dataset}/collection.npz (node features built as the config says).


rule synthesize_graphs:
    output:
        graphcls_collection("{dataset}"),
    log:
        f"{RESULTS}/logs/synthesize_graphs/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/synthesize_graphs/{{dataset}}.tsv"
    wildcard_constraints:
        dataset=alternatives(G_SYNTHETIC),
    params:
        entry=lambda wc: gcfg.collection_params(GRAPHCLS, wc.dataset),
        data_root=None,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/build_collection.py"


# TU raw files are read by PyG from a scratch copy under the job's tmpdir (PyG writes
# processed/ beside raw/); data_root is only read.
rule import_graphs:
    input:
        lambda wc: gcfg.raw_files(GRAPHCLS, wc.dataset),
    output:
        graphcls_collection("{dataset}"),
    log:
        f"{RESULTS}/logs/import_graphs/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/import_graphs/{{dataset}}.tsv"
    wildcard_constraints:
        dataset=alternatives(G_FILE_BASED),
    params:
        entry=lambda wc: gcfg.collection_params(GRAPHCLS, wc.dataset),
        data_root=GRAPHCLS.get("data_root"),
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/build_collection.py"
