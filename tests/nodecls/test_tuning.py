"""Tests of imbgraph.nodecls.tuning: the grid, the choice on mean validation scores, the
reuse of the tuning seeds' runs, and the tuned job's records (imbgraph.nodecls.job)."""

from __future__ import annotations

import math

import pytest

from imbgraph.errors import ConfigError
from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.job import job_records, run_method
from imbgraph.nodecls.methods.ecgn.settings import pretrain_settings
from imbgraph.nodecls.tuning import apply, check, choose, grid, run_tuned, tune_seeds


def _method(tune, **train):
    return {"label": "m", "model": {"name": "sage"}, "balancing": {"name": "none"},
            "train": {"lr": 0.01, "weight_decay": 5e-4, "select": "macro_f1", "tune": tune,
                      **train}}


def test_grid_is_lr_outer_in_written_order_and_defaults_to_the_own_weight_decay():
    m = _method({"lr": [0.01, 0.001], "weight_decay": [0.0, 5e-3]})
    assert grid(m) == [{"lr": 0.01, "weight_decay": 0.0}, {"lr": 0.01, "weight_decay": 5e-3},
                       {"lr": 0.001, "weight_decay": 0.0},
                       {"lr": 0.001, "weight_decay": 5e-3}]
    assert grid(_method({"lr": [0.1]})) == [{"lr": 0.1, "weight_decay": 5e-4}]
    assert grid(_method(None)) == []
    assert tune_seeds(_method({"lr": [0.1], "seeds": 2}), [4, 5, 6]) == [4, 5]
    assert tune_seeds(_method({"lr": [0.1]}), [4, 5, 6]) == [4, 5, 6]


def test_choose_best_mean_first_on_ties_nan_never_wins():
    assert choose([0.5, 0.7, 0.7], "max") == 1
    assert choose([0.5, 0.7, 0.2], "min") == 2
    assert choose([math.nan, 0.1, 0.3], "max") == 2
    assert choose([math.nan, math.nan], "max") == 0


def test_run_tuned_chooses_on_mean_validation_and_reuses_the_tuning_runs():
    m = _method({"lr": [0.1, 0.01], "weight_decay": [0.0, 1e-3], "seeds": 2})
    # validation score per (lr, wd, seed): (0.01, 0.0) has the best mean (0.75) although
    # (0.1, 1e-3) has the single best seed (0.9)
    val = {(0.1, 0.0): [0.5, 0.5], (0.1, 1e-3): [0.9, 0.2], (0.01, 0.0): [0.7, 0.8],
           (0.01, 1e-3): [0.6, 0.6]}
    calls = []

    def run(method, seed):
        tr = method["train"]
        calls.append((tr["lr"], tr["weight_decay"], seed))
        v = val[(tr["lr"], tr["weight_decay"])][min(seed, 1)]
        return {"acc": seed + tr["lr"]}, {"val_score": v}

    results, record, chosen = run_tuned(m, [0, 1, 2], run)
    assert record["chosen"] == {"lr": 0.01, "weight_decay": 0.0}
    assert [p["val_mean"] for p in record["points"]] == pytest.approx([0.5, 0.55, 0.75, 0.6])
    assert record["seeds"] == [0, 1] and record["untuned"] == {"lr": 0.01,
                                                                "weight_decay": 5e-4}
    # 4 points x 2 tuning seeds, then only seed 2 at the chosen point
    assert len(calls) == 9 and calls[-1] == (0.01, 0.0, 2)
    assert [results[s][0]["acc"] for s in (0, 1, 2)] == [0.01, 1.01, 2.01]
    assert chosen["train"]["lr"] == 0.01 and chosen["train"]["untuned"]["lr"] == 0.01


def test_run_tuned_minimises_a_loss_and_skips_a_method_without_validation_score():
    m = _method({"lr": [0.1, 0.01]}, select="loss")

    def run(method, seed):
        return {}, {"val_score": method["train"]["lr"]}

    assert run_tuned(m, [0], run)[1]["chosen"]["lr"] == 0.01
    results, record, chosen = run_tuned(m, [0, 1], lambda method, seed: ({"s": seed}, {}))
    assert "skipped" in record and chosen is m and results[1] == ({"s": 1}, {})


def test_untuned_method_runs_each_seed_once():
    results, record, chosen = run_tuned(_method(None), [3, 4], lambda m, s: ({"s": s}, {}))
    assert record is None and results == {3: ({"s": 3}, {}), 4: ({"s": 4}, {})}


def test_ecgn_pretraining_keeps_the_configured_optimiser():
    m = {"model": {"name": "sage"}, "balancing": {"clusters": 3, "pretrain_epochs": 5,
                                                   "pretrain_patience": 2},
         "train": {"lr": 0.01, "weight_decay": 5e-4}}
    tuned = apply(m, {"lr": 0.001, "weight_decay": 0.0})
    assert tuned["train"]["lr"] == 0.001
    assert pretrain_settings(tuned) == pretrain_settings(m)


@pytest.mark.parametrize("tune, match", [
    ({"lr": []}, "non-empty list"),
    ({"lr": [0.0]}, "not a learning rate"),
    ({"lr": [0.1], "weight_decay": [-1.0]}, "not a weight decay"),
    ({"lr": [0.1], "seeds": 0}, "seeds = 0"),
])
def test_check_names_the_key(tune, match):
    with pytest.raises(ConfigError, match=rf"nodecls\.training\.tune.*{match}"):
        check({"tune": tune}, "nodecls.training")


def test_tuned_job_reports_the_chosen_point(tiny_graph, tiny_split_spec, make_method):
    m = make_method({"name": "none"}, max_epochs=10, patience=3,
                    tune={"lr": [0.05, 0.001]})
    seeds = [0, 1]
    splits = [make_split(tiny_graph.y, tiny_graph.class_names, tiny_split_spec, seed=s)
              for s in seeds]
    records = job_records(tiny_graph, splits, m, seeds=seeds, dataset="d", split_name="s",
                          method_name="m", progress=False)
    tuning = records[0][2]["tuning"]
    means = [p["val_mean"] for p in tuning["points"]]
    assert tuning["chosen"]["lr"] == [0.05, 0.001][max(range(2), key=lambda i: (means[i], -i))]
    assert records[1][2]["tuning"] == tuning
    lr = tuning["chosen"]["lr"]
    assert records[0][2]["resolved"]["train"]["lr"] == lr
    # seed 1 reports exactly a plain run at the chosen point
    again, summary = run_method(tiny_graph, splits[1], apply(m, tuning["chosen"]), seed=1)
    assert records[1][0]["macro_f1"] == again["macro_f1"]
    assert summary["val_score"] == tuning["points"][[0.05, 0.001].index(lr)]["val"][1]
