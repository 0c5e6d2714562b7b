"""Claims as tests: the paired statistics against scipy.stats on hand-made per-seed tables
(effect, interval, one-sided p, verdicts, Holm's correction by hand), the errors for a
missing seed or a bad metrics file, the rendered Markdown / CSV, and the start-up check of
the `claims:` config section (imbgraph.config.check_claims) on hand-made and shipped
configs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from scipy import stats

from imbgraph import config as cfg
from imbgraph.errors import ConfigError, InputError
from imbgraph.tables.claims import (
    RESULT_SCHEMA,
    claim_verdict,
    evaluate,
    holm,
    load_values,
    paired_test,
    paired_values,
    render_markdown,
    verdict,
)

REPO = Path(__file__).resolve().parents[2]
SEEDS = [0, 1, 2, 3, 4]

# Per-seed macro-F1 of four methods on two datasets (split "class"). A beats B clearly on
# both, C beats A clearly on "toy", D is A plus noise around zero.
VALUES = {
    "A": {"toy": [0.70, 0.72, 0.69, 0.75, 0.71], "big": [0.60, 0.62, 0.58, 0.61, 0.63]},
    "B": {"toy": [0.50, 0.55, 0.52, 0.51, 0.53], "big": [0.50, 0.49, 0.52, 0.50, 0.51]},
    "C": {"toy": [0.80, 0.83, 0.79, 0.84, 0.82], "big": [0.60, 0.62, 0.58, 0.61, 0.63]},
    "D": {"toy": [0.71, 0.70, 0.70, 0.76, 0.70], "big": [0.61, 0.61, 0.59, 0.60, 0.64]},
}


def write_runs(root: Path, values=VALUES, seeds=SEEDS, split="class", skip=()) -> list[str]:
    """One metrics.json per (method, dataset, seed), laid out as the pipeline's runs."""
    paths = []
    for m, per_dataset in values.items():
        for d, vals in per_dataset.items():
            for seed, v in zip(seeds, vals):
                if (m, d, seed) in skip:
                    continue
                path = root / d / split / m / f"seed{seed}" / "metrics.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"task": "graphcls", "dataset": d, "split": split,
                                            "method": m, "seed": seed, "macro_f1": v,
                                            "acc": 1 - v}))
                paths.append(str(path))
    return paths


def catalog(**kw) -> cfg.Catalog:
    args = dict(datasets=["toy", "big"], methods={"A": {"label": "Alpha"}, "B": {}, "C": {},
                                                  "D": {}},
                splits=lambda d: ["class", "topology"], spec=lambda e: json.dumps(e),
                vary=lambda e, p, v: e, seeds=SEEDS, metrics=("macro_f1", "acc"))
    return cfg.Catalog(**{**args, **kw})


def comparison(better, than, cells, claim="c", metric="macro_f1", higher=True) -> dict:
    return {"claim": claim, "better": better, "than": than, "metric": metric,
            "higher_is_better": higher, "cells": [list(c) for c in cells]}


# --- one comparison against scipy ---------------------------------------------------------


def test_ttest_effect_interval_and_p_match_scipy():
    a, b = VALUES["A"]["toy"], VALUES["D"]["toy"]
    r = paired_test(a, b, test="ttest", alpha=0.05)
    d = np.subtract(a, b)
    assert r["n"] == 5 and r["effect"] == pytest.approx(d.mean(), abs=1e-15)
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert r["p"] == pytest.approx(stats.ttest_rel(a, b, alternative="greater").pvalue)
    assert r["p_opposite"] == pytest.approx(stats.ttest_rel(a, b, alternative="less").pvalue)
    assert r["mean_better"] == pytest.approx(np.mean(a))
    assert r["mean_than"] == pytest.approx(np.mean(b))
    assert r["p_floor"] == 0.0
    # alpha sets the interval's level: 1 - alpha.
    ci90 = stats.ttest_rel(a, b).confidence_interval(0.90)
    r90 = paired_test(a, b, test="ttest", alpha=0.10)
    assert (r90["ci_low"], r90["ci_high"]) == pytest.approx((ci90.low, ci90.high), rel=1e-12)


def test_wilcoxon_p_matches_scipy_and_zero_differences_are_dropped():
    a, b = VALUES["A"]["toy"], VALUES["B"]["toy"]
    r = paired_test(a, b, test="wilcoxon")
    assert r["p"] == pytest.approx(stats.wilcoxon(a, b, alternative="greater").pvalue)
    assert r["p"] == pytest.approx(1 / 32)  # every difference positive: the floor 1/2^5
    assert r["p_floor"] == pytest.approx(1 / 32)
    assert r["p_opposite"] == pytest.approx(stats.wilcoxon(a, b, alternative="less").pvalue)
    # The interval is the paired-t one whatever the test.
    ci = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    # A tie on one seed: dropped (zero_method='wilcox'), n non-zero = 4, floor 1/16.
    b_tie = [0.70, *b[1:]]
    r = paired_test(a, b_tie, test="wilcoxon")
    assert r["n"] == 5 and r["p_floor"] == pytest.approx(1 / 16)
    assert r["p"] == pytest.approx(stats.wilcoxon(a, b_tie, alternative="greater",
                                                  zero_method="wilcox").pvalue)
    assert r["p"] == pytest.approx(1 / 16)


def test_lower_is_better_flips_the_difference():
    a, b = [0.1, 0.2, 0.15], [0.3, 0.35, 0.4]  # e.g. an error rate: A lower is better
    r = paired_test(a, b, test="ttest", higher_is_better=False)
    assert r["effect"] == pytest.approx(np.mean(np.subtract(b, a)))
    assert r["p"] == pytest.approx(stats.ttest_rel(b, a, alternative="greater").pvalue)


def test_degenerate_differences_give_no_p():
    same = paired_test([0.5, 0.6, 0.7], [0.5, 0.6, 0.7], test="ttest")
    assert same["effect"] == 0 and math.isnan(same["p"]) and math.isnan(same["p_opposite"])
    assert verdict(same["effect"], same["p"], same["p_opposite"], 0.05) == "inconclusive"
    one = paired_test([0.9], [0.1], test="ttest")
    assert one["n"] == 1 and math.isnan(one["p"]) and math.isnan(one["ci_low"])
    with pytest.raises(ValueError, match="test 'sign'"):
        paired_test([1.0, 2.0], [0.0, 1.0], test="sign")


def test_three_seeds_never_hold_under_wilcoxon():
    r = paired_test([0.9, 0.8, 0.85], [0.1, 0.2, 0.15], test="wilcoxon")
    assert r["p"] == pytest.approx(0.125) and r["p_floor"] == pytest.approx(0.125)
    assert verdict(r["effect"], r["p"], r["p_opposite"], 0.05) == "inconclusive"
    # The t-test, on the same numbers, can decide.
    t = paired_test([0.9, 0.8, 0.85], [0.1, 0.2, 0.15], test="ttest")
    assert verdict(t["effect"], t["p"], t["p_opposite"], 0.05) == "holds"


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 -> 3 x 0.01 = 0.03, 2 x 0.03 = 0.06, max(0.06, 1 x 0.04) = 0.06
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.02]) == [0.02]
    assert holm([0.4, 0.5]) == pytest.approx([0.8, 0.8])
    assert holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])  # capped at 1
    # NaN stays NaN and counts as 1 for the others (m stays 3).
    out = holm([0.01, math.nan, 0.02])
    assert out[0] == pytest.approx(0.03) and math.isnan(out[1]) and out[2] == pytest.approx(0.04)
    assert holm([]) == []


def test_verdicts():
    assert verdict(0.1, 0.01, 0.99, 0.05) == "holds"
    assert verdict(-0.1, 0.99, 0.01, 0.05) == "fails"
    assert verdict(0.1, 0.06, 0.9, 0.05) == "inconclusive"
    assert verdict(0.0, 0.01, 0.01, 0.05) == "inconclusive"  # no direction
    assert claim_verdict(["holds", "holds"]) == "holds"
    assert claim_verdict(["holds", "inconclusive"]) == "inconclusive"
    assert claim_verdict(["holds", "fails", "inconclusive"]) == "fails"
    assert claim_verdict([]) == "inconclusive"


# --- a study on per-seed files --------------------------------------------------------------


STUDY = {"name": "paper", "title": "The paper's claims", "alpha": 0.05,
         "claims": [{"id": "a_beats_b_c_d", "text": "A is best | on both datasets"},
                    {"id": "a_beats_b_avg", "text": "A beats B on average"}]}


def comparisons():
    cells = [("toy", "class"), ("big", "class")]
    first = [comparison("A", m, [c], claim="a_beats_b_c_d") for m in ("B", "C", "D")
             for c in cells]
    return first + [comparison("A", "B", cells, claim="a_beats_b_avg")]


def test_evaluate_matches_scipy_and_holm_by_hand(tmp_path):
    values = load_values(write_runs(tmp_path), ["macro_f1"])
    res = evaluate(STUDY, comparisons(), values, seeds=SEEDS, labels={"A": "Alpha"})
    assert res.schema == pl.Schema(RESULT_SCHEMA)
    assert res.height == 7
    rows = res.filter(pl.col("claim") == "a_beats_b_c_d").to_dicts()
    raw = [stats.ttest_rel(VALUES["A"][r["dataset"]], VALUES[r["than"]][r["dataset"]],
                           alternative="greater").pvalue for r in rows]
    raw_opp = [stats.ttest_rel(VALUES["A"][r["dataset"]], VALUES[r["than"]][r["dataset"]],
                               alternative="less").pvalue for r in rows]
    assert [r["p"] for r in rows] == pytest.approx(raw, nan_ok=True)
    # Holm by hand over the claim's 6 comparisons (A vs C on big: identical values, no p).
    filled = [1.0 if math.isnan(p) else p for p in raw]
    order = np.argsort(filled, kind="stable")
    expected, running = [0.0] * 6, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (6 - rank) * filled[i]))
        expected[i] = running
    expected = [math.nan if math.isnan(p) else e for p, e in zip(raw, expected)]
    assert [r["p_adj"] for r in rows] == pytest.approx(expected, nan_ok=True)
    verdicts = {(r["than"], r["dataset"]): r["verdict"] for r in rows}
    assert verdicts == {("B", "toy"): "holds", ("B", "big"): "holds",
                        ("C", "toy"): "fails", ("C", "big"): "inconclusive",
                        ("D", "toy"): "inconclusive", ("D", "big"): "inconclusive"}
    for r, p in zip(rows, raw_opp):
        assert r["p_opposite"] == pytest.approx(p, nan_ok=True)
    assert {r["claim_verdict"] for r in rows} == {"fails"}
    first = rows[0]
    assert (first["better_label"], first["than_label"], first["seeds"]) == ("Alpha", "B",
                                                                            "0 1 2 3 4")
    assert first["effect"] == pytest.approx(np.mean(np.subtract(VALUES["A"]["toy"],
                                                                VALUES["B"]["toy"])))
    # The averaged claim: one comparison of the per-seed means over the two datasets.
    (avg,) = res.filter(pl.col("claim") == "a_beats_b_avg").to_dicts()
    a = np.mean([VALUES["A"]["toy"], VALUES["A"]["big"]], axis=0)
    b = np.mean([VALUES["B"]["toy"], VALUES["B"]["big"]], axis=0)
    assert avg["dataset"] == "toy+big" and avg["split"] == "class"
    assert avg["p"] == pytest.approx(stats.ttest_rel(a, b, alternative="greater").pvalue)
    assert avg["p_adj"] == avg["p"]  # a claim of one comparison: Holm changes nothing
    assert avg["verdict"] == avg["claim_verdict"] == "holds"


def test_no_correction_keeps_the_raw_p(tmp_path):
    values = load_values(write_runs(tmp_path), ["macro_f1"])
    res = evaluate({**STUDY, "correction": "none"}, comparisons(), values, seeds=SEEDS)
    assert res["p_adj"].to_list() == pytest.approx(res["p"].to_list(), nan_ok=True)


def test_wilcoxon_study_marks_the_rows_that_cannot_hold(tmp_path):
    three = {m: {"toy": v["toy"][:3]} for m, v in VALUES.items() if m in "AB"}
    values = load_values(write_runs(tmp_path, three, seeds=[0, 1, 2]), ["macro_f1"])
    study = {"name": "s", "title": "T", "test": "wilcoxon",
             "claims": [{"id": "c", "text": "A beats B"}]}
    res = evaluate(study, [comparison("A", "B", [("toy", "class")])], values, seeds=[0, 1, 2])
    row = res.row(0, named=True)
    assert (row["p"], row["p_floor"], row["verdict"]) == (0.125, 0.125, "inconclusive")
    md = render_markdown(res, title="T")
    assert "| inconclusive † |" in md
    assert "1/2^n (n = 3: 0.125)" in md and "n >= 5 to hold at all" in md
    assert "Wilcoxon signed-rank" in md


def test_missing_seed_is_named_with_the_files_read(tmp_path):
    paths = write_runs(tmp_path, skip={("B", "toy", 3)})
    values = load_values(paths, ["macro_f1"])
    comp = comparison("A", "B", [("toy", "class")], claim="a_beats_b")
    with pytest.raises(InputError) as err:
        paired_values(values, comp, SEEDS)
    msg = str(err.value)
    assert "claim 'a_beats_b'" in msg and "B on toy / class, seed 3" in msg
    assert str(tmp_path / "toy/class/B/seed2/metrics.json") in msg  # the files that were read
    assert "expected seeds [0, 1, 2, 3, 4]" in msg
    # Without the expected seeds, the two methods' seeds must agree.
    with pytest.raises(InputError, match="B on toy / class, seed 3"):
        paired_values(values, comp, None)
    # A seed neither method has, but the family runs: named for both.
    with pytest.raises(InputError, match="A on toy / class, seed 7.*B on toy / class, seed 7"):
        paired_values(values, comp, [*SEEDS, 7])


def test_bad_metrics_files_are_named(tmp_path):
    paths = write_runs(tmp_path, {"A": {"toy": [0.5]}}, seeds=[0])
    with pytest.raises(InputError, match=r"metrics.json: no metric 'nmi'"):
        load_values(paths, ["nmi"])
    run = json.loads(Path(paths[0]).read_text())
    Path(paths[0]).write_text(json.dumps({**run, "macro_f1": None}))
    with pytest.raises(InputError, match=r"seed0/metrics.json: macro_f1 is None"):
        load_values(paths, ["macro_f1"])
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps(run))
    Path(paths[0]).write_text(json.dumps(run))
    with pytest.raises(InputError, match="copy.json: the run A on toy / class, seed 0 is also"):
        load_values([paths[0], copy], ["macro_f1"])


def test_markdown_and_csv(tmp_path):
    values = load_values(write_runs(tmp_path), ["macro_f1"])
    res = evaluate(STUDY, comparisons(), values, seeds=SEEDS, labels={"A": "Alpha"})
    md = render_markdown(res, title="The paper's claims", note="A note.")
    assert md.startswith("### The paper's claims\n")
    # Summary: the claim's words (pipes escaped), counts holds / fails / inconclusive.
    assert "| a_beats_b_c_d | A is best \\| on both datasets | 6 | 2 / 1 / 3 | **fails** |" in md
    assert "| a_beats_b_avg | A beats B on average | 1 | 1 / 0 / 0 | **holds** |" in md
    row = res.row(0, named=True)
    assert (f"| a_beats_b_c_d | Alpha vs B on toy (class) | macro_f1 | 5 | "
            f"{row['effect']:+.4f} [{row['ci_low']:.4f}, {row['ci_high']:.4f}] | ") in md
    assert "Alpha vs B on mean of toy, big (class)" in md
    assert "Mean diff [95% CI]" in md and "p (Holm)" in md
    assert "Holm's correction runs over the comparisons of each claim" in md
    assert "paired t-test" in md and md.rstrip().endswith("A note.")
    path = tmp_path / "claims.csv"
    res.write_csv(path)
    back = pl.read_csv(path)
    assert back.columns == list(RESULT_SCHEMA)
    assert back["verdict"].to_list() == res["verdict"].to_list()


# --- the config: check_claims and claim_comparisons -----------------------------------------


def claims_config(*claims, **study) -> dict:
    return {
        "seeds": SEEDS,
        "tables": {"t2": {"task": "graphcls", "title": "T2", "split": "class",
                          "metric": "macro_f1", "rows": ["B", "C", "A"],
                          "columns": [{"dataset": "toy"}, {"dataset": "big"}]},
                   "t3": {"task": "graphcls", "title": "T3", "kind": "rows",
                          "columns": [{"metric": "acc"}],
                          "rows": [{"dataset": "toy", "split": "class", "method": "A"}]}},
        "claims": {"paper": {"task": "graphcls", "title": "P", "metric": "macro_f1",
                             **study, "claims": list(claims)}},
    }


GOOD = {"id": "c1", "text": "A is best", "better": "A", "than": "every", "table": "t2"}


def test_comparisons_of_every_row_and_of_listed_methods():
    config = claims_config(
        GOOD,
        {"id": "c2", "text": "A beats D", "better": "A", "than": "D", "datasets": ["big"],
         "split": "topology", "metric": "acc", "higher_is_better": False},
        {"id": "c3", "text": "on average", "better": "A", "than": ["B", "C"], "table": "t2",
         "average": True},
        {"id": "c4", "text": "on toy", "better": "A", "than": "every", "table": "t2",
         "datasets": ["toy"]},
    )
    cfg.check_claims(config, {"graphcls": catalog()})
    comps = cfg.claim_comparisons(config, "paper")
    by = {}
    for c in comps:
        by.setdefault(c["claim"], []).append((c["than"], c["cells"]))
    assert by["c1"] == [("B", [["toy", "class"]]), ("B", [["big", "class"]]),
                        ("C", [["toy", "class"]]), ("C", [["big", "class"]])]
    assert by["c2"] == [("D", [["big", "topology"]])]
    assert by["c3"] == [("B", [["toy", "class"], ["big", "class"]]),
                        ("C", [["toy", "class"], ["big", "class"]])]
    assert by["c4"] == [("B", [["toy", "class"]]), ("C", [["toy", "class"]])]
    c2 = next(c for c in comps if c["claim"] == "c2")
    assert (c2["metric"], c2["higher_is_better"]) == ("acc", False)
    assert all(c["metric"] == "macro_f1" for c in comps if c["claim"] != "c2")
    assert cfg.claim_runs(config, "paper") == sorted(
        {(d, "class", m) for d in ("toy", "big") for m in "ABC"} | {("big", "topology", "A"),
                                                                    ("big", "topology", "D")})


def test_a_lower_is_better_metric_is_compared_that_way():
    # BAT's PerfStd (spread of per-class accuracy): "A lowers it" is A < B by default; an
    # explicit higher_is_better still wins, and the study's metric counts too
    config = claims_config(
        {**GOOD, "id": "c1", "metric": "perf_std"},
        {**GOOD, "id": "c2", "metric": "perf_std", "higher_is_better": True},
        {**GOOD, "id": "c3"}, metric="perf_std")
    comps = cfg.claim_comparisons(config, "paper")
    direction = {c["claim"]: c["higher_is_better"] for c in comps}
    assert direction == {"c1": False, "c2": True, "c3": False}
    config["claims"]["paper"]["metric"] = "macro_f1"
    assert {c["higher_is_better"] for c in cfg.claim_comparisons(config, "paper")
            if c["claim"] == "c3"} == {True}


@pytest.mark.parametrize("change, study, key", [
    ({"better": "Z"}, {}, "claims.paper.claims[0] (c1).better: 'Z' is not a graphcls method"),
    ({"than": ["B", "Z"], "table": None, "datasets": ["toy"], "split": "class"}, {},
     "claims.paper.claims[0] (c1).than: 'Z' is not a graphcls method"),
    ({"than": "B", "table": None, "datasets": ["moon"], "split": "class"}, {},
     "claims.paper.claims[0] (c1).datasets: 'moon' is not a graphcls dataset"),
    ({"than": "B", "table": None, "datasets": ["toy"], "split": "tail"}, {},
     "claims.paper.claims[0] (c1).split: 'tail' is not a run split of 'toy'"),
    ({"metric": "f2"}, {}, "claims.paper.claims[0] (c1).metric: 'f2' is not a graphcls metric"),
    ({}, {"metric": None}, "claims.paper.claims[0] (c1): no metric"),
    ({"table": "t9"}, {}, "claims.paper.claims[0] (c1).table = 't9': expected a grid table"),
    ({"table": "t3"}, {}, "claims.paper.claims[0] (c1).table = 't3': expected a grid table"),
    ({"table": None}, {}, "claims.paper.claims[0] (c1).than: 'every' means every other row"),
    ({"than": "B", "table": None}, {}, "claims.paper.claims[0] (c1): no datasets"),
    ({"than": "B", "table": None, "datasets": ["toy"]}, {},
     "claims.paper.claims[0] (c1): no split"),
    ({"datasets": ["moon"]}, {}, "claims.paper.claims[0] (c1).datasets: 'moon' is not a "
                                 "column of table 't2'"),
    ({"split": "topology"}, {}, "claims.paper.claims[0] (c1).split: 'topology' is not a "
                                "column of table 't2'"),
    ({"than": ["A", "B"]}, {}, "claims.paper.claims[0] (c1).than: lists 'A'"),
    ({}, {"task": "nodecls"}, "claims.paper.task = 'nodecls', but the config has no 'nodecls'"),
])
def test_bad_claims_are_named_at_startup(change, study, key):
    claim = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    config = claims_config(claim, **{k: v for k, v in study.items() if v is not None})
    if study.get("metric", "") is None:
        del config["claims"]["paper"]["metric"]
    with pytest.raises(ConfigError) as err:
        cfg.check_claims(config, {"graphcls": catalog()}, where="my.yaml")
    assert str(err.value).startswith("my.yaml: ")
    assert key in str(err.value)


def test_duplicate_ids_and_a_target_named_like_a_table():
    config = claims_config(GOOD, {**GOOD, "than": "B"})
    with pytest.raises(ConfigError, match=r"claims\[1\] \(c1\).id: 'c1' is the id of an earlier"):
        cfg.check_claims(config, {"graphcls": catalog()})
    config = claims_config(GOOD)
    config["tables"]["paper_claims"] = config["tables"]["t2"]
    with pytest.raises(ConfigError, match="claims.paper: its target and output stem "
                                          "'paper_claims' is also the name of a table"):
        cfg.check_claims(config, {"graphcls": catalog()})


@pytest.mark.parametrize("name", ["config.yaml", "real_graphcls.yaml", "tiny_graphcls.yaml"])
def test_shipped_claims_pass_the_schema_and_the_check(name):
    """The shipped `claims:` sections are valid, and read only runs that the config's tables
    already read (a claims study adds no training job)."""
    from snakemake.utils import validate

    from imbgraph.graphcls import config as gcfg
    from imbgraph.nodecls import config as ncfg

    config = yaml.safe_load((REPO / "config" / name).read_text())
    validate(config, schema=str(REPO / "workflow/schemas/config.schema.yaml"))
    seeds = cfg.family_seeds(config, "graphcls")
    catalogs = {"graphcls": gcfg.catalog(config["graphcls"], seeds)}
    if "nodecls" in config:
        catalogs["nodecls"] = ncfg.catalog(config["nodecls"], cfg.family_seeds(config,
                                                                               "nodecls"))
    cfg.check_claims(config, catalogs, where=name)
    tables = [t for t in config["tables"].values() if t["task"] == "graphcls"]
    table_runs = {(c["dataset"], c["split"], m) for t in tables
                  for c in cfg.grid_columns(t) for m in t["rows"]}
    assert set(cfg.claim_runs(config, "uniimb")) <= table_runs
    assert cfg.claim_comparisons(config, "uniimb")


@pytest.mark.parametrize("name", ["config.yaml", "real_nodecls.yaml"])
def test_shipped_node_claims_pass_the_check_and_read_the_tables_runs(name):
    """GraphSMOTE's and ECGN's claims studies are valid and compare the runs of their
    tables (ECGN's k = 3 vs k = 1 claim adds ECGN_k1, Figure 2's k = 1 point where the
    config has that figure)."""
    from snakemake.utils import validate

    from imbgraph.nodecls import config as ncfg

    config = yaml.safe_load((REPO / "config" / name).read_text())
    validate(config, schema=str(REPO / "workflow/schemas/config.schema.yaml"))
    catalogs = {"nodecls": ncfg.catalog(config["nodecls"],
                                        cfg.family_seeds(config, "nodecls"))}
    cfg.check_claims({**config, "claims": {k: v for k, v in config["claims"].items()
                                           if v["task"] == "nodecls"}}, catalogs, where=name)
    tables = [t for t in config["tables"].values() if t["task"] == "nodecls"]
    table_runs = {(c["dataset"], c["split"], m) for t in tables
                  for c in cfg.grid_columns(t) for m in t["rows"]}
    assert set(cfg.claim_runs(config, "graphsmote")) <= table_runs
    extra = set(cfg.claim_runs(config, "ecgn")) - table_runs
    assert extra and {m for _, _, m in extra} == {"ECGN_k1"}
    assert ("cora" if name.startswith("real") else "cora_half", "ecgn", "ECGN_k1") in extra
