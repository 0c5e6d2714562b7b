"""Tests of imbgraph.graphcls.convergence: a budget selects the last new best validation epoch
below it; points over seeds by hand; the flat part; bad traces named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imbgraph.errors import InputError
from imbgraph.graphcls.convergence import (
    budget_scores,
    convergence_points,
    load_traces,
    plot_convergence,
)

ROWS = [(0, 0.9, 0.5, 0.6), (3, 0.8, 0.7, 0.75), (9, 0.7, 0.8, 0.85)]


def test_budget_scores_by_hand():
    assert budget_scores(ROWS, [1, 3, 4, 9, 10, 50]) == [0.5, 0.5, 0.7, 0.7, 0.8, 0.8]
    assert budget_scores(ROWS, [4], "micro_f1") == [0.75]
    assert budget_scores([], [5]) == [None]
    with pytest.raises(ValueError, match="must increase"):
        budget_scores([(3, 1, 1, 1), (3, 1, 1, 1)], [5])


def test_budget_scores_equal_a_reference_loop():
    """Against a loop that replays the epochs: argmin of the validation loss over the first
    B epochs (ties: the earlier epoch), its test score."""
    rng = np.random.default_rng(0)
    val = rng.random(60)
    test = rng.random(60)
    rows, best = [], np.inf
    for e in range(60):
        if val[e] < best:
            best = val[e]
            rows.append((e, val[e], test[e], test[e]))
    for b in range(1, 61):
        assert budget_scores(rows, [b])[0] == test[int(np.argmin(val[:b]))]


def trace(method, seed, rows, epochs=10, dataset="d"):
    return {"method": method, "dataset": dataset, "split": "class", "seed": seed,
            "epochs": epochs, "rows": rows}


def test_points_mean_std_and_flat_part():
    traces = [trace("A", 0, [(0, 1, 0.5, 0), (5, 0.5, 0.9, 0)]),
              trace("A", 1, [(0, 1, 0.7, 0), (2, 0.5, 0.8, 0)]),
              trace("B", 0, [(0, 1, 0.6, 0)]), trace("B", 1, [(0, 1, 0.6, 0)])]
    pts = convergence_points(traces, [1, 3, 10], labels={"A": "Method A"})
    a = pts.filter(pts["method"] == "A")
    assert a["label"].to_list() == ["Method A"] * 3
    assert a["mean"].to_list() == pytest.approx([0.6, 0.65, 0.85])
    assert a["std"].to_list() == pytest.approx([np.std([0.5, 0.7], ddof=1),
                                                np.std([0.5, 0.8], ddof=1),
                                                np.std([0.9, 0.8], ddof=1)])
    # 0.85 +- 0.0707: budget 3 (0.65) is 0.2 away, so only the largest budget is flat
    assert a["flat"].to_list() == [False, False, True]
    b = pts.filter(pts["method"] == "B")
    assert b["flat"].to_list() == [True] * 3 and b["change_to_largest"].to_list() == [0.0] * 3


def test_flat_needs_every_larger_budget_within_the_std():
    # seed values at budgets 1, 2, 3, 4: the mean dips back out at budget 3
    rows0 = [(0, 4, 0.80, 0), (1, 3, 0.50, 0), (2, 2, 0.80, 0)]
    rows1 = [(0, 4, 0.80, 0), (1, 3, 0.50, 0), (2, 2, 0.80, 0), (3, 1, 0.82, 0)]
    pts = convergence_points([trace("A", 0, rows0), trace("A", 1, rows1)], [1, 2, 3, 4])
    assert pts["flat"].to_list() == [False, False, True, True]


def test_budget_longer_than_the_run_is_an_error():
    with pytest.raises(InputError, match="ran 10 epochs; the largest budget is 20"):
        convergence_points([trace("A", 0, ROWS)], [5, 20])


def test_load_traces_names_the_file(tmp_path):
    good, bad = tmp_path / "a.json", tmp_path / "b.json"
    good.write_text(json.dumps(trace("A", 0, ROWS)))
    bad.write_text(json.dumps({"method": "A"}))
    assert load_traces([good])[0]["rows"] == [list(r) for r in ROWS]
    with pytest.raises(InputError, match=r"b\.json: trace without \['dataset', 'epochs'"):
        load_traces([good, bad])


def test_plot_writes_both_files(tmp_path):
    pts = convergence_points([trace("A", 0, ROWS), trace("A", 1, ROWS, dataset="e")], [1, 5])
    plot_convergence(pts, title="t", ylabel="Macro-F1", png=str(tmp_path / "f.png"),
                     pdf=str(tmp_path / "f.pdf"))
    assert (tmp_path / "f.png").stat().st_size > 1000 and (tmp_path / "f.pdf").exists()
