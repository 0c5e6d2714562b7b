"""Dry runs: the default config's DAG has the expected jobs per rule; lint is clean."""

from __future__ import annotations

import pytest
from snakemake_helpers import job_counts, snakemake, write_config

pytestmark = pytest.mark.workflow

LINKAGE_RULES = ("synthesize_faces", "import_learn_to_cluster", "make_subset", "knn_search",
                 "metis_partition", "build_subgraphs", "train_linkage", "evaluate_linkage",
                 "cluster_baseline")

NODECLS_RULES = ("build_node_graph", "deepwalk_features", "split_nodes", "metis_node_clusters",
                 "pretrain_ecgn", "run_nodecls")
GRAPHCLS_RULES = ("synthesize_graphs", "import_graphs", "random_walk_pe", "graph_kernel_knn",
                  "split_graphs", "pretrain_graphcls", "run_graphcls", "trace_graphcls",
                  "render_convergence")


def test_default_dag_jobs_per_rule(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "-n", "all")
    # faces: 8 subsets + train + test; fashion: 2 subsets + train + test. Every split gets a
    # kNN table, a partition and 2 shards: 14 + 14 + 28. Training jobs (each trains the 3
    # seeds): Table 1 (9 x 8 = 72), Table 2 (7 x 2 = 14), Table 3's full-data L-GCN runs (2),
    # the comparison's RGCN and FL-RIWS on the face train split (2), and Figure 3's 6
    # undeclared sweep points (RS at 1.5/2.0/2.5, RIWS at 1.2/1.5/2.5) x 8 = 48; the other
    # points reuse L-GCN, RS and RIWS. 6 clusterers x 3 seeds.
    counts = job_counts(out)
    linkage = {rule: counts.pop(rule) for rule in LINKAGE_RULES if rule in counts}
    assert linkage == {
        "synthesize_faces": 2,
        "make_subset": 10,
        "knn_search": 14,
        "metis_partition": 14,
        "build_subgraphs": 28,
        "train_linkage": 138,
        "evaluate_linkage": 138,
        "cluster_baseline": 18,
    }
    # Node classification. Data: 6 generated graphs, DeepWalk for the 2 featureless ones;
    # a split file set per (graph, split): 9 on the Cora stand-in (BAT's step split the 9th),
    # 5 others; METIS at 7 k on each of ECGN's 3 graphs.
    # GraphSMOTE's 9 methods (each job runs the 3 seeds): Table 1 on 3 graphs (27), Table 2's
    # 4 imbalance ratios (36), Table 3's GCN rows (9), the long-tail table's 3 rho (27) and
    # Figure 3's 4 methods x 6 scales (24): 123. ECGN on its 3 graphs: Table 2's 12 methods,
    # Figure 2's 7 cluster counts (a point sets k explicitly, so it does not reuse ECGN's
    # run; its k = 1 point is ECGN_k1's, which the claims compare), Table 4's 3 transfer strategies, Table 3's local inference on Cora and CiteSeer
    # only: 3 x 22 + 2 = 68. Pre-training is cached once per graph (3 jobs, shared by ECGN,
    # its variants and "without SMOTE"). The node-baselines table: 5 GCN methods on the Cora
    # stand-in's step split (ERM and Re-weight there too), then GraphENS, GraphENS + TAM,
    # GraphSHA and Mixup (4); the cheap bat_table1: 5 more on it (ERM + BAT0 / BAT1,
    # Re-weight + BAT1, GAT ERM and + BAT1). The leaderboard and the protocol sensitivity
    # study: 7 GCN methods on the Cora and CiteSeer stand-ins under their own 4 protocols
    # (a split set each): 56.
    nodecls = {rule: counts.pop(rule) for rule in NODECLS_RULES if rule in counts}
    assert nodecls == {
        "build_node_graph": 6,
        "deepwalk_features": 2,
        "split_nodes": 14 + 8,
        "metis_node_clusters": 21,
        "pretrain_ecgn": 3,
        "run_nodecls": 123 + 68 + 5 + 4 + 5 + 56,
    }
    # Graph classification: 3 generated collections, each with its random-walk encodings
    # and its kernel kNN graph (G2GNN); a class and a topology split per collection; the
    # ablation's UniImb-code row on the 3 collections; the convergence figure's traced runs
    # (3 methods x 3 seeds on the PROTEINS stand-in). InfoGraph and GraphCL pre-train once
    # per (collection, split), shared by their -up / -rw rows on the class split: 3 x 3 x 2.
    # IGL-Bench's graph methods: TopoImb, DataDec, ImbGKB in Table 2, TopoImb in Table 3
    # (4 x 3). igl_graph: the igl split per collection, its 15 rows on it (3 x 15); Exphormer,
    # GraphMamba and SOLT-GNN in Tables 2 and 3 (3 x 6).
    graphcls = {rule: counts.pop(rule) for rule in GRAPHCLS_RULES if rule in counts}
    assert graphcls == {
        "synthesize_graphs": 3,
        "random_walk_pe": 3,
        "graph_kernel_knn": 3,
        "split_graphs": 9,
        "pretrain_graphcls": 18,
        "run_graphcls": 63 + 3 + 12 + 45 + 18,
        "trace_graphcls": 9,
        "render_convergence": 1,
    }
    # 19 tables (uniimb_ablation the 15th, node_baselines the 16th, bat_table1 the 17th, the
    # leaderboard the 18th, igl_graph the 19th), 3 sweep figures, UniImb's, GraphSMOTE's and
    # ECGN's claims studies, the protocol sensitivity study
    assert counts == {"render_table": 19, "render_figure": 3, "render_claims": 3,
                      "render_ranking": 1, "all": 1}


def test_one_job_per_seed_when_asked(tmp_path):
    # seeds_per_job: 1 (SLURM, paper scale): a train and an evaluate job per seed.
    config = write_config(tmp_path, "config.yaml", linkage={"seeds_per_job": 1})
    counts = job_counts(snakemake(tmp_path, config, "-n", "table2"))
    assert counts["train_linkage"] == counts["evaluate_linkage"] == 14 * 3


@pytest.mark.parametrize(
    "target, expected",
    [
        ("table2", {"render_table": 1, "train_linkage": 14, "cluster_baseline": 0}),
        ("table3", {"render_table": 1, "train_linkage": 6, "cluster_baseline": 0}),
        ("clustering", {"render_table": 1, "train_linkage": 3, "cluster_baseline": 18}),
        ("figure3", {"render_figure": 1, "render_table": 0, "train_linkage": 72}),
    ],
)
def test_new_targets_in_default_dag(tmp_path, target, expected):
    config = write_config(tmp_path, "config.yaml")
    counts = job_counts(snakemake(tmp_path, config, "-n", target))
    assert counts[target] == 1
    for rule, n in expected.items():
        assert counts.get(rule, 0) == n, (rule, counts)


def test_table_target_builds_only_that_table(tmp_path):
    config = write_config(tmp_path, "tiny.yaml")
    by_name = job_counts(snakemake(tmp_path, config, "-n", "table1"))
    by_file = job_counts(snakemake(tmp_path, config, "-n", "results/tables/table1.md"))
    assert by_name["render_table"] == 1 and by_name["table1"] == 1
    assert by_file["render_table"] == 1 and "table1" not in by_file
    assert by_name["train_linkage"] == by_file["train_linkage"] == 6


def test_lint_is_clean(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in out, out
