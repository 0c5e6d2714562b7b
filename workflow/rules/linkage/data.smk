# Data: every split ends up as results/linkage/data/{dataset}/{split}/{features.npy,labels.parquet}.


rule synthesize_faces:
    output:
        train_features=f"{L_RESULTS}/data/{{dataset}}/train/features.npy",
        train_labels=f"{L_RESULTS}/data/{{dataset}}/train/labels.parquet",
        test_features=f"{L_RESULTS}/data/{{dataset}}/test/features.npy",
        test_labels=f"{L_RESULTS}/data/{{dataset}}/test/labels.parquet",
    log:
        f"{RESULTS}/logs/synthesize_faces/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/synthesize_faces/{{dataset}}.tsv"
    wildcard_constraints:
        dataset=alternatives(L_SYNTHETIC),
    params:
        domain=lambda wc: LINKAGE["datasets"][wc.dataset]["synthetic"],
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/synthesize_faces.py"


rule import_learn_to_cluster:
    input:
        features=lambda wc: LINKAGE["datasets"][wc.dataset][wc.part]["features"],
        labels=lambda wc: LINKAGE["datasets"][wc.dataset][wc.part]["labels"],
    output:
        features=f"{L_RESULTS}/data/{{dataset}}/{{part}}/features.npy",
        labels=f"{L_RESULTS}/data/{{dataset}}/{{part}}/labels.parquet",
    log:
        f"{RESULTS}/logs/import_learn_to_cluster/{{dataset}}/{{part}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/import_learn_to_cluster/{{dataset}}/{{part}}.tsv"
    wildcard_constraints:
        dataset=alternatives(L_FILE_BASED),
        part="train|test",
    params:
        dim=lambda wc: LINKAGE["datasets"][wc.dataset]["dim"],
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/import_learn_to_cluster.py"


rule make_subset:
    input:
        **linkage_split_files("{dataset}", "train"),
    output:
        **linkage_split_files("{dataset}", "{subset}"),
    log:
        f"{RESULTS}/logs/make_subset/{{dataset}}/{{subset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/make_subset/{{dataset}}/{{subset}}.tsv"
    wildcard_constraints:
        **L_WILDCARDS,
    params:
        head=lambda wc: lcfg.subset_specs(LINKAGE, wc.dataset)[wc.subset][0],
        tail=lambda wc: lcfg.subset_specs(LINKAGE, wc.dataset)[wc.subset][1],
        seed=lambda wc: LINKAGE["datasets"][wc.dataset]["subsets"]["seed"],
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/linkage/make_subset.py"
