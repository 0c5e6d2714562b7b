"""Compare the tables/figure CSVs of two tiny runs: old layout (dataset = split) vs new."""
import sys, polars as pl
a, b = sys.argv[1], sys.argv[2]
worst = 0.0
for t in ["table1", "table2", "table3", "clustering"]:
    old = pl.read_csv(f"{a}/results/tables/{t}.csv")
    new = pl.read_csv(f"{b}/results/tables/{t}.csv")
    if "split" not in old.columns:
        old = old.rename({"dataset": "split"})
    keys = ["method", "split", "metric"]
    if t in ("table3", "clustering"):
        keys = ["method", "metric"]
    j = old.join(new, on=keys, how="full", suffix="_new")
    assert j.height == old.height == new.height, (t, old.height, new.height, j.height)
    for c in ["mean", "std", "paper", "n_seeds"]:
        if t == "clustering" and c in ("mean","std"):
            jj = j.filter(pl.col("metric") != "wall_s")
        else:
            jj = j
        d = (jj[c] - jj[f"{c}_new"]).abs().max()
        nulls = (jj[c].is_null() != jj[f"{c}_new"].is_null()).sum()
        print(f"{t:10s} {c:8s} max|diff| = {d}  null mismatches = {nulls}")
        worst = max(worst, d or 0.0)
old = pl.read_csv(f"{a}/results/figures/figure3.csv")
new = pl.read_csv(f"{b}/results/figures/figure3.csv")
j = old.join(new, on=["series", "gamma"], how="full", suffix="_new", nulls_equal=True)
print("figure3 points", old.height, new.height, j.height, "max|diff| mean", (j["mean"] - j["mean_new"]).abs().max(), "std", (j["std"] - j["std_new"]).abs().max())
print("methods old/new:", list(zip(j["method"], j["method_new"])))
