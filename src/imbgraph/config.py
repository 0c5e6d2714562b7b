"""The shared part of the workflow config: what the tables and figures may name, checked
against the families the config declares, and the device resource of a job.

A config has shared keys at the top (``seeds``, ``tables``, ``figures``, ``gpu_per_job``)
and one section per task family (``linkage:``, ``nodecls:``, ``graphcls:``), each validated
by the family's own schema and cross-key ``check``. The table and figure checks here know
nothing about faces, citations or molecules: each family describes what it offers as a
:class:`Catalog` (its datasets, methods, run splits, extra row kinds and the parameters its
methods can be swept over), and the Snakefile hands the catalogs of the families present to
:func:`check_outputs`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imbgraph.errors import ConfigError

FAMILIES = ("linkage", "nodecls", "graphcls")


@dataclass(frozen=True)
class Catalog:
    """What a family section offers to tables and figures.

    datasets : dataset names
    methods : method name -> config entry (with ``label``), sweep-derived ones excluded
    splits : dataset -> the run splits a table column or row may name
    spec : config entry -> a string equal for two entries that train identical runs
    vary : (entry, param, value) -> the entry with ``param`` set to ``value`` (ConfigError
        for a parameter the family cannot sweep)
    check_row : (row, key) -> None; a rows-table row of a kind other than
        {dataset, split, method} (the face family's ``clusterer`` rows); ConfigError if bad
    row_kinds : those extra row keys (e.g. ``("clusterer",)``)
    seeds : the seeds every run of the family uses
    metrics : the metrics a run's ``metrics.json`` holds, which a table or a figure may show
        (None: not checked here)
    timings : what a run's ``timings.json`` holds, which a rows table may also show
    """

    datasets: list[str]
    methods: dict[str, dict]
    splits: Callable[[str], list[str]]
    spec: Callable[[dict], str]
    vary: Callable[[dict, str, float], dict]
    seeds: list[int]
    check_row: Callable[[dict, str], None] | None = None
    row_kinds: tuple[str, ...] = field(default=())
    metrics: tuple[str, ...] | None = None
    timings: tuple[str, ...] = field(default=())

    def label(self, method: str) -> str:
        return self.methods[method].get("label", method)


def command_line_seeds(config: dict) -> None:
    """``--config 'seeds=[0, 1]'`` reaches the workflow as ``['0', '1']`` (Snakemake types
    only a top-level scalar); turn such seeds into integers in place so the schema accepts
    them. Anything else is left for the schema to name."""
    seeds = config.get("seeds")
    if isinstance(seeds, list):
        config["seeds"] = [int(s) if isinstance(s, str) and s.strip().isdigit() else s
                           for s in seeds]


def family_seeds(config: dict, family: str) -> list[int]:
    """The seeds of ``family``'s runs: its section's ``seeds`` or the shared ones."""
    return [int(s) for s in config[family].get("seeds", config["seeds"])]


def gpu_per_job(config: dict) -> int:
    """``gpu`` resource units a training or inference job asks for: ``gpu_per_job`` when
    set, else 1 where an NVIDIA driver is loaded. Checked without importing torch, which
    would add seconds to every Snakemake start."""
    if "gpu_per_job" in config:
        return int(config["gpu_per_job"])
    return int(os.path.exists("/proc/driver/nvidia/version"))


def spec_json(entry: dict, defaults: dict) -> str:
    """A method entry as canonical JSON, label aside, with ``train`` merged over
    ``defaults``: two entries with equal specs give equal runs."""
    key = {k: v for k, v in entry.items() if k not in ("label", "train")}
    key["train"] = {**defaults, **entry.get("train", {})}
    return json.dumps(key, sort_keys=True)


# --- sweeps (figures whose x axis is a method hyperparameter) -------------------------------


def sweep_name(base: str, param: str, value: float) -> str:
    return f"{base}-{param}{float(value):g}"


def sweep_methods(catalog: Catalog, figure: dict) -> dict[str, dict[float, str]]:
    """Method name per (swept method, x value) of a sweep figure.

    A point whose spec equals a declared method reuses that method's runs (DIGL Fig. 3: RS
    at its own ratio, the kNN baseline at gamma = 1); the others are named
    ``<method>-<param><value>`` and declared by :func:`with_sweep_methods`.
    """
    by_spec = {catalog.spec(m): n for n, m in catalog.methods.items()}
    param = figure["sweep"]["param"]
    out = {}
    for base in figure["methods"]:
        points = {}
        for value in figure["sweep"]["values"]:
            varied = catalog.vary(catalog.methods[base], param, float(value))
            points[float(value)] = by_spec.get(catalog.spec(varied),
                                               sweep_name(base, param, value))
        out[base] = points
    return out


def with_sweep_methods(catalog: Catalog, figures: dict[str, dict]) -> dict[str, dict]:
    """The catalog's methods plus the undeclared ones that its figures' sweeps need."""
    methods = dict(catalog.methods)
    for fig in figures.values():
        param = fig["sweep"]["param"]
        for base, points in sweep_methods(catalog, fig).items():
            entry = catalog.methods[base]
            label = entry.get("label", base)
            for value, name in points.items():
                if name not in methods:
                    methods[name] = {**catalog.vary(entry, param, value),
                                     "label": f"{label} ({param}={value:g})"}
    return methods


# --- tables and figures ------------------------------------------------------------------


#: metrics with a fixed direction (True higher is better, False lower is better: costs and
#: spreads such as BAT's PerfStd, None not a contest: sizes): a table's ``higher_is_better``
#: does not change them, and a claim on one compares that way unless it sets its own
METRIC_DIRECTION: dict[str, bool | None] = {
    "train_size": None, "wall_s": False, "perf_std": False, "avg_rank": False,
    "epoch_s": False}


def table_metrics(table: dict) -> list[str]:
    """The metric(s) of a grid table: ``metric`` may be one name or a list."""
    m = table["metric"]
    return [m] if isinstance(m, str) else list(m)


def grid_columns(table: dict) -> list[dict]:
    """The columns of a grid table with the table-level defaults filled in: each one
    ``{dataset, split, paper?, label?}``. A table without ``columns`` (a leaderboard) has one
    per dataset x split of its ``datasets`` and ``splits``, dataset-major, labelled
    "<dataset label> <split label>" (``dataset_labels`` / ``split_labels``, else the names)."""
    if "columns" not in table:
        dl, sl = table.get("dataset_labels", {}), table.get("split_labels", {})
        return [{"dataset": d, "split": s, "label": f"{dl.get(d, d)} {sl.get(s, s)}"}
                for d in table.get("datasets", []) for s in table.get("splits", [])]
    out = []
    for col in table["columns"]:
        out.append({**col, "dataset": col.get("dataset", table.get("dataset")),
                    "split": col.get("split", table.get("split"))})
    return out


def figure_splits(config: dict, figure: dict) -> list[str]:
    """The splits whose per-seed mean is a figure's y value: ``splits``, else the columns
    of the grid table named by ``table``."""
    if "splits" in figure:
        return list(figure["splits"])
    return [c["split"] for c in grid_columns(config["tables"][figure["table"]])]


def figure_datasets(figure: dict) -> list[str]:
    return list(figure.get("datasets", [figure["dataset"]] if "dataset" in figure else []))


def ranking_cells(entry: dict) -> list[tuple[str, str, str]]:
    """The (dataset, protocol label, split) cells of a ``rankings:`` entry (a protocol
    sensitivity study): every dataset under every protocol's split."""
    return [(d, p, s) for p, s in entry["protocols"].items() for d in entry["datasets"]]


def check_outputs(config: dict, catalogs: dict[str, Catalog], *, where: str = "config") -> None:
    """Raise :class:`ConfigError` naming the first table or figure key that names a family,
    dataset, split, method or metric layout the config does not declare."""

    def fail(msg: str) -> None:
        raise ConfigError(f"{where}: {msg}")

    def family(key: str, entry: dict) -> Catalog:
        task = entry["task"]
        if task not in catalogs:
            fail(f"{key}.task = {task!r}, but the config has no {task!r} section "
                 f"(sections present: {sorted(catalogs) or 'none'})")
        return catalogs[task]

    def check_metrics(cat: Catalog, key: str, task: str, metric, allowed=None) -> None:
        allowed = cat.metrics if allowed is None else allowed
        for m in [metric] if isinstance(metric, str) else metric:
            if cat.metrics is not None and m not in allowed:
                fail(f"{key}.metric: {m!r} is not a {task} metric "
                     f"(expected one of {list(allowed)})")

    def check_run(cat: Catalog, key: str, dataset, split, method) -> None:
        if dataset not in cat.datasets:
            fail(f"{key}: dataset {dataset!r} is not declared (declared: {sorted(cat.datasets)})")
        if method is not None and method not in cat.methods:
            fail(f"{key}: {method!r} is not a method (declared: {sorted(cat.methods)})")
        allowed = cat.splits(dataset)
        if split is not None and split not in allowed:
            fail(f"{key}: split {split!r} is not a run split of {dataset!r} "
                 f"(expected one of {allowed})")

    tables = config.get("tables", {})
    for tname, t in tables.items():
        key = f"tables.{tname}"
        cat = family(key, t)
        if t.get("kind", "grid") == "rows":
            if cat.metrics is not None:
                check_metrics(cat, key, t["task"], [c["metric"] for c in t["columns"]],
                              cat.metrics + cat.timings)
            for i, row in enumerate(t["rows"]):
                rkey = f"{key}.rows[{i}]"
                extra = [k for k in cat.row_kinds if k in row]
                if extra:
                    check_run(cat, rkey, row["dataset"], None, None)
                    cat.check_row(row, rkey)
                elif "method" in row and "split" in row:
                    check_run(cat, rkey, row["dataset"], row["split"], row["method"])
                else:
                    kinds = ", ".join(["{dataset, split, method}",
                                       *(f"{{dataset, {k}}}" for k in cat.row_kinds)])
                    fail(f"{rkey}: expected a row of the form {kinds}; got {sorted(row)}")
            continue
        check_metrics(cat, key, t["task"], t["metric"])
        if t.get("kind") == "leaderboard" and t.get("cost_dataset") is not None and \
                t["cost_dataset"] not in {c["dataset"] for c in grid_columns(t)}:
            fail(f"{key}.cost_dataset = {t['cost_dataset']!r} is not a dataset of its columns")
        for i, col in enumerate(grid_columns(t)):
            ckey = f"{key}.columns[{i}]"
            if col["dataset"] is None or col["split"] is None:
                fail(f"{ckey}: no dataset / split (give them in the column or the table)")
            for m in t["rows"]:
                check_run(cat, f"{key}.rows", col["dataset"], col["split"], m)
    for fname, f in config.get("figures", {}).items():
        key = f"figures.{fname}"
        cat = family(key, f)
        check_metrics(cat, key, f["task"], f["metric"])
        if "table" in f:
            table = tables.get(f["table"])
            if table is None or table.get("kind", "grid") != "grid" or table["task"] != f["task"]:
                fail(f"{key}.table = {f['table']!r}: expected a grid table of task {f['task']!r}")
        elif "splits" not in f:
            fail(f"{key}: give the splits to average (splits: [...]) or a grid table (table:)")
        datasets = figure_datasets(f)
        if not datasets:
            fail(f"{key}: give dataset: or datasets:")
        for d in datasets:
            for s in figure_splits(config, f):
                for m in [*f["methods"], *([f["baseline"]] if "baseline" in f else [])]:
                    check_run(cat, key, d, s, m)
        param = f["sweep"]["param"]
        for m in f["methods"]:
            for value in f["sweep"]["values"]:
                try:
                    cat.vary(cat.methods[m], param, float(value))
                except ConfigError as err:
                    fail(f"{key}.methods: {m!r}: {err}")
        for base, points in sweep_methods(cat, f).items():
            for value, name in points.items():
                declared = cat.methods.get(name)
                if declared is not None and cat.spec(declared) != cat.spec(
                        cat.vary(cat.methods[base], param, value)):
                    fail(f"{key}: the sweep point {base} at {param} = {value:g} would be named "
                         f"{name!r}, which the family already declares with other settings")

    for rname, r in config.get("rankings", {}).items():
        key = f"rankings.{rname}"
        if rname in tables or rname in config.get("figures", {}):
            fail(f"{key}: a table or figure has the same name (each names its target rule)")
        cat = family(key, r)
        check_metrics(cat, key, r["task"], r["metric"])
        for d, p, s in ranking_cells(r):
            for m in r["rows"]:
                check_run(cat, f"{key}.protocols.{p}", d, s, m)


def as_params(value: Any) -> Any:
    """A config value as plain containers (Snakemake params must pickle and compare)."""
    return json.loads(json.dumps(value))


# --- claims (a paper's statements, tested on the per-seed metrics) --------------------------

#: ``than: every``: every other row of the claim's table
EVERY = "every"


def claim_key(study: str, i: int, claim: dict) -> str:
    """The config key of a study's i-th claim, with its id: ``claims.uniimb.claims[0] (t2)``."""
    return f"claims.{study}.claims[{i}]" + (f" ({claim['id']})" if "id" in claim else "")


def claim_cells(config: dict, study: dict, claim: dict) -> list[tuple[str, str]]:
    """The (dataset, split) runs a claim compares on, in order: the columns of its grid
    ``table`` (kept to its ``datasets`` / ``split`` when given), else each of its
    ``datasets`` on its ``split`` (or the study's). A study-level ``split`` is a default for
    claims without a table only, so it never filters a table's columns away."""
    if "table" in claim:
        cells = [(c["dataset"], c["split"]) for c in grid_columns(config["tables"][claim["table"]])]
        if "datasets" in claim:
            cells = [c for c in cells if c[0] in claim["datasets"]]
        if "split" in claim:
            cells = [c for c in cells if c[1] == claim["split"]]
    else:
        split = claim.get("split", study.get("split"))
        cells = [(d, split) for d in claim.get("datasets", [])]
    return list(dict.fromkeys(cells))


def claim_rivals(config: dict, claim: dict) -> list[str]:
    """The methods a claim's ``better`` method is said to beat: ``than`` as a list, or for
    ``than: every`` every row of its table but ``better``."""
    than = claim["than"]
    if than == EVERY:
        rows = config["tables"][claim["table"]]["rows"]
        return [m for m in rows if m != claim["better"]]
    return [than] if isinstance(than, str) else list(than)


def claim_comparisons(config: dict, study: str) -> list[dict]:
    """Every paired comparison of a checked claims study (see :func:`check_claims`), in
    claim order, each ``{claim, better, than, metric, higher_is_better, cells}``: the claim
    says ``better`` > ``than`` on ``metric`` (< when not ``higher_is_better``). ``cells`` is
    one [dataset, split] pair, or with ``average: true`` all the claim's pairs (a seed's
    value is then its mean over them, as in a table's Avg column)."""
    s = config["claims"][study]
    out = []
    for claim in s["claims"]:
        cells = [list(c) for c in claim_cells(config, s, claim)]
        groups = [cells] if claim.get("average", False) else [[c] for c in cells]
        for rival in claim_rivals(config, claim):
            for group in groups:
                out.append({"claim": claim["id"], "better": claim["better"], "than": rival,
                            "metric": claim.get("metric", s.get("metric")),
                            "higher_is_better": claim.get("higher_is_better",
                                                          _claim_direction(claim, s)),
                            "cells": group})
    return out


def _claim_direction(claim: dict, study: dict) -> bool:
    # a lower-is-better metric (PerfStd) is compared that way unless the claim says so
    return METRIC_DIRECTION.get(claim.get("metric", study.get("metric"))) is not False


def claim_runs(config: dict, study: str) -> list[tuple[str, str, str]]:
    """The (dataset, split, method) runs a claims study reads, sorted."""
    return sorted({(d, s, m) for c in claim_comparisons(config, study)
                   for m in (c["better"], c["than"]) for d, s in c["cells"]})


def claims_target(study: str) -> str:
    """The target rule (and output stem) of a claims study: ``<study>_claims``."""
    return f"{study}_claims"


def check_claims(config: dict, catalogs: dict[str, Catalog], *, where: str = "config") -> None:
    """Raise :class:`ConfigError` naming the first ``claims`` key that names a family,
    method, dataset, split, metric or table the config does not declare (the
    :func:`check_outputs` of claims; its schema is ``claims`` in config.schema.yaml)."""

    def fail(msg: str) -> None:
        raise ConfigError(f"{where}: {msg}")

    tables, figures = config.get("tables", {}), config.get("figures", {})
    for sname, study in config.get("claims", {}).items():
        skey = f"claims.{sname}"
        task = study["task"]
        if task not in catalogs:
            fail(f"{skey}.task = {task!r}, but the config has no {task!r} section "
                 f"(sections present: {sorted(catalogs) or 'none'})")
        cat = catalogs[task]
        target = claims_target(sname)
        if target in tables or target in figures:
            fail(f"{skey}: its target and output stem {target!r} is also the name of a "
                 f"{'table' if target in tables else 'figure'}; rename one of them")
        ids: set[str] = set()
        for i, claim in enumerate(study["claims"]):
            key = claim_key(sname, i, claim)
            if claim["id"] in ids:
                fail(f"{key}.id: {claim['id']!r} is the id of an earlier claim of {skey}")
            ids.add(claim["id"])
            metric = claim.get("metric", study.get("metric"))
            if metric is None:
                fail(f"{key}: no metric (give `metric:` in the claim or in {skey})")
            if cat.metrics is not None and metric not in cat.metrics:
                fail(f"{key}.metric: {metric!r} is not a {task} metric "
                     f"(expected one of {list(cat.metrics)})")
            if "table" in claim:
                t = tables.get(claim["table"])
                if t is None or t.get("kind", "grid") != "grid" or t["task"] != task:
                    grids = sorted(n for n, x in tables.items()
                                   if x.get("kind", "grid") == "grid" and x["task"] == task)
                    fail(f"{key}.table = {claim['table']!r}: expected a grid table of task "
                         f"{task!r} (its grid tables: {grids})")
                for name, value in (("datasets", claim.get("datasets")),
                                    ("split", claim.get("split"))):
                    have = {c[0 if name == "datasets" else 1]
                            for c in claim_cells(config, study, {"table": claim["table"]})}
                    for v in [] if value is None else [value] if isinstance(value, str) else value:
                        if v not in have:
                            fail(f"{key}.{name}: {v!r} is not a column of table "
                                 f"{claim['table']!r} (its {name}: {sorted(have)})")
            elif claim["than"] == EVERY:
                fail(f"{key}.than: {EVERY!r} means every other row of the claim's `table:`; "
                     "give a table, or list the methods")
            else:
                if "datasets" not in claim:
                    fail(f"{key}: no datasets (give `datasets: [...]`, or a grid `table:`)")
                if claim.get("split", study.get("split")) is None:
                    fail(f"{key}: no split (give `split:` in the claim or in {skey}, or a "
                         "grid `table:`)")
            for name, m in [("better", claim["better"])] + [
                    ("than", m) for m in ([] if claim["than"] == EVERY else
                                          claim_rivals(config, claim))]:
                if m not in cat.methods:
                    fail(f"{key}.{name}: {m!r} is not a {task} method "
                         f"(declared: {sorted(cat.methods)})")
            rivals = claim_rivals(config, claim)
            if claim["better"] in rivals:
                fail(f"{key}.than: lists {claim['better']!r}, the claim's `better` method")
            if not rivals:
                fail(f"{key}.than: table {claim['table']!r} has no row besides "
                     f"{claim['better']!r}")
            cells = claim_cells(config, study, claim)
            if not cells:
                fail(f"{key}: no column of table {claim['table']!r} has both the claim's "
                     "datasets and its split")
            for d, s in cells:
                if d not in cat.datasets:
                    fail(f"{key}.datasets: {d!r} is not a {task} dataset "
                         f"(declared: {sorted(cat.datasets)})")
                if s not in cat.splits(d):
                    fail(f"{key}.split: {s!r} is not a run split of {d!r} "
                         f"(expected one of {cat.splits(d)})")


def requested_runs(config: dict, catalog: Catalog, task: str) -> list[tuple[str, str, str]]:
    """Every (dataset, split, method) run of family ``task`` that the config's tables, sweep
    figures (points under their :func:`sweep_methods` names) and claims read, sorted; what a
    family must prepare for (cached inputs, start-up checks of each run). Cells naming
    something undeclared are left out: :func:`check_outputs` and :func:`check_claims` report
    them."""
    out: set[tuple[str, str, str]] = set()

    def add(d, s, m):
        if d in catalog.datasets and m in catalog.methods and s in catalog.splits(d):
            out.add((d, s, m))

    tables = config.get("tables", {})
    for t in tables.values():
        if t["task"] != task:
            continue
        if t.get("kind", "grid") == "rows":
            for r in t["rows"]:
                if "method" in r and "split" in r:
                    add(r["dataset"], r["split"], r["method"])
            continue
        for c in grid_columns(t):
            for m in t["rows"]:
                add(c["dataset"], c["split"], m)
    for f in config.get("figures", {}).values():
        if f["task"] != task or ("table" in f and f["table"] not in tables):
            continue
        if any(m not in catalog.methods for m in f["methods"]):
            continue
        try:
            points = sweep_methods(catalog, f)
        except ConfigError:
            continue  # check_outputs names the method that cannot be swept
        names = [n for p in points.values() for n in p.values()]
        names += [f["baseline"]] if "baseline" in f else []
        for d in figure_datasets(f):
            for s in figure_splits(config, f):
                for m in names:
                    if d in catalog.datasets and s in catalog.splits(d):
                        out.add((d, s, m))
    for study, c in config.get("claims", {}).items():
        if c["task"] == task:
            for d, s, m in claim_runs(config, study):
                add(d, s, m)
    for r in config.get("rankings", {}).values():
        if r["task"] == task:
            for d, _, s in ranking_cells(r):
                for m in r["rows"]:
                    add(d, s, m)
    return sorted(out)


def schema_error(err: BaseException, config_name: str, where: str | None,
                 schema: str) -> ConfigError | BaseException:
    """The :class:`ConfigError` for a failed schema validation ``err`` (Snakemake's
    ``WorkflowError`` wrapping a ``jsonschema.ValidationError``) that names the config
    file(s) ``config_name``, the key (``where`` plus the path inside it) and the schema file
    ``schema`` (under workflow/schemas/); ``err`` itself when it wraps no validation error."""
    # Snakemake formats its arguments into one string; the validation error is the context
    candidates = [*getattr(err, "args", ()), err.__cause__, err.__context__, err]
    cause = next((a for a in candidates if hasattr(a, "absolute_path")
                  and hasattr(a, "message")), None)
    if cause is None:
        return err
    key = where or ""
    for part in cause.absolute_path:
        key += f"[{part}]" if isinstance(part, int) else f"{'.' if key else ''}{part}"
    return ConfigError(f"{config_name}: {key or 'the config'}: {cause.message} (checked "
                       f"against workflow/schemas/{schema})")
