"""Claims as tests through the workflow, on config/tiny_graphcls.yaml's `uniimb` study: the
target plans one render_claims job over every seed of every run its claims compare; a bad
claim stops the run at start-up naming the key; and the target renders the claims from
per-seed metrics files. The runs are not trained here (about a minute): hand-written
metrics.json files with chosen values stand in for them, and `--allowed-rules` keeps
Snakemake from planning their training, so the verdicts are known and the test takes
seconds. tests/workflow/test_graphcls_run.py renders the same study on trained runs."""

from __future__ import annotations

import json

import polars as pl
import pytest
from snakemake_helpers import (
    assert_no_temporaries,
    changed_config,
    fails_at_startup,
    job_counts,
    snakemake,
    write_config,
)

pytestmark = pytest.mark.workflow

SEEDS = [0, 1]
# Per-seed macro-F1 (seed 0, seed 1) of every run the tiny study compares. UniImb beats each
# Table 2 baseline by 0.40 / 0.41 (holds after Holm over 4), loses to its Zipf variant by
# 0.30 / 0.32 (fails), and against GIN under topological imbalance wins one seed and loses
# the other (inconclusive).
VALUES = {
    ("class", "UniImb"): (0.60, 0.66),
    **{("class", m): (0.20, 0.25) for m in ("GIN", "GIN-up", "InfoGraph-up", "G2GNN-mn")},
    ("class", "UniImb-zipf"): (0.90, 0.98),
    ("topology", "UniImb"): (0.60, 0.45),
    ("topology", "GIN"): (0.50, 0.50),
}
ONLY_CLAIMS = ("--allowed-rules", "render_claims", "uniimb_claims")


def write_metrics(workdir, values=VALUES):
    for (split, method), per_seed in values.items():
        for seed, v in zip(SEEDS, per_seed):
            path = workdir / f"results/graphcls/runs/toy/{split}/{method}/seed{seed}/metrics.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"task": "graphcls", "dataset": "toy", "split": split,
                                        "method": method, "seed": seed, "macro_f1": v,
                                        "micro_f1": v}))


def test_target_plans_one_job_over_every_compared_run(tmp_path):
    config = write_config(tmp_path, "tiny_graphcls.yaml")
    out = snakemake(tmp_path, config, "-n", "uniimb_claims")
    counts = job_counts(out)
    # The 8 (split, method) runs of the tiny tables, one training job each (both seeds).
    assert counts["render_claims"] == counts["uniimb_claims"] == 1
    assert counts["run_graphcls"] == len(VALUES)
    assert "render_table" not in counts


@pytest.mark.parametrize("claim, change, expected", [
    (1, {"than": ["GIN", "GIN-x"], "table": None, "datasets": ["toy"], "split": "class"},
     "claims.uniimb.claims[1] (beats_every_baseline).than: 'GIN-x' is not a graphcls method"),
    (0, {"metric": "f1"},
     "claims.uniimb.claims[0] (uniform_load_best).metric: 'f1' is not a graphcls metric"),
    (2, {"datasets": ["toys"]},
     "claims.uniimb.claims[2] (best_under_topological_imbalance).datasets: 'toys' is not a "
     "graphcls dataset"),
])
def test_a_bad_claim_stops_at_startup_naming_the_key(tmp_path, claim, change, expected):
    write_config(tmp_path, "tiny_graphcls.yaml")

    def edit(cfg):
        entry = cfg["claims"]["uniimb"]["claims"][claim]
        for key, value in change.items():
            if value is None:
                entry.pop(key)
            else:
                entry[key] = value

    fails_at_startup(tmp_path, changed_config(tmp_path, edit), expected)


def test_the_schema_refuses_an_unknown_test(tmp_path):
    write_config(tmp_path, "tiny_graphcls.yaml")

    def edit(cfg):
        cfg["claims"]["uniimb"]["test"] = "anova"

    fails_at_startup(tmp_path, changed_config(tmp_path, edit),
                     "'anova' is not one of ['ttest', 'wilcoxon']",
                     "claims.uniimb.test: 'anova'")


def test_target_renders_the_claims_from_per_seed_metrics(tmp_path):
    config = write_config(tmp_path, "tiny_graphcls.yaml")
    write_metrics(tmp_path)
    out = snakemake(tmp_path, config, "--cores", "1", "uniimb_claims", *ONLY_CLAIMS)
    assert job_counts(out) == {"render_claims": 1, "uniimb_claims": 1}
    tables = tmp_path / "results/tables"
    res = pl.read_csv(tables / "uniimb_claims.csv")
    verdicts = {r["claim"]: r["claim_verdict"] for r in res.iter_rows(named=True)}
    assert verdicts == {"uniform_load_best": "fails", "beats_every_baseline": "holds",
                        "best_under_topological_imbalance": "inconclusive"}
    t2 = res.filter(pl.col("claim") == "beats_every_baseline")
    assert t2["than"].to_list() == ["GIN", "GIN-up", "InfoGraph-up", "G2GNN-mn"]
    assert set(t2["n"]) == {2} and set(t2["seeds"]) == {"0 1"}
    assert t2["effect"].to_list() == pytest.approx([0.405] * 4)
    assert all(p < 0.05 for p in t2["p_adj"]) and set(t2["verdict"]) == {"holds"}
    md = (tables / "uniimb_claims.md").read_text()
    assert md.startswith("### UniImb's claims (tiny)\n")
    assert "| UniImb vs GIN (up-sampling) on toy (class) | macro_f1 | 2 | +0.4050" in md
    assert "| fails (UniImb (Zipf) better: p " in md
    log = (tmp_path / "results/logs/render_claims/uniimb.log").read_text()
    assert "claim uniform_load_best: fails" in log
    assert (tmp_path / "results/benchmarks/render_claims/uniimb.tsv").exists()
    assert_no_temporaries(tmp_path)
    assert "Nothing to be done" in snakemake(tmp_path, config, "-n", "uniimb_claims",
                                             *ONLY_CLAIMS)

    # Editing a claim (here alpha) reruns the claims job: the study reaches it as params.
    def strict(cfg):
        cfg["claims"]["uniimb"]["alpha"] = 0.01

    changed = changed_config(tmp_path, strict)
    assert job_counts(snakemake(tmp_path, changed, "-n", "uniimb_claims", *ONLY_CLAIMS)) == {
        "render_claims": 1, "uniimb_claims": 1}
