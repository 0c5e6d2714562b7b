"""Render tidy cells (see :mod:`imbgraph.tables.aggregate`) in the paper layout: rows =
methods, one column per ``column`` key, cells = mean +- std (paper value), best in bold."""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl


def _per_column(value, col: str, default):
    # A style given per column (dict) or for the whole table (scalar).
    return value.get(col, default) if isinstance(value, dict) else value


def _best(cells: pl.DataFrame, higher_is_better) -> set[tuple[str, str]]:
    best = set()
    for col, group in cells.group_by("column"):
        direction = _per_column(higher_is_better, col[0], True)
        vals = group.filter(pl.col("mean").is_not_nan() & pl.col("mean").is_not_null())
        if vals.height == 0 or direction is None:
            continue
        target = vals["mean"].max() if direction else vals["mean"].min()
        for m in vals.filter(pl.col("mean") == target)["method"]:
            best.add((m, col[0]))
    return best


def _fmt(mean, std, n: int, digits: int) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "n/a"  # no run, or a metric undefined on it
    if n < 2 or std is None or math.isnan(std):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _cells_as_text(
    cells: pl.DataFrame,
    column_labels: dict[str, str] | None,
    higher_is_better,
    digits,
    bold,
    not_built=(),
) -> tuple[list[str], list[list[str]]]:
    """Header and body of the paper layout as plain strings; ``bold`` marks the best cells;
    rows of ``not_built`` (methods of the paper this project does not run) read "—"."""
    methods = list(dict.fromkeys(cells["method"]))
    cols = list(dict.fromkeys(cells["column"]))
    lookup = {(r["method"], r["column"]): r for r in cells.iter_rows(named=True)}
    best = _best(cells, higher_is_better)
    column_labels = column_labels or {}
    # The paper's name follows our column's, unless the column is already named after it.
    head = ["Method"] + [f"{c} {column_labels[c]}" if column_labels.get(c)
                         and not c.startswith(column_labels[c]) else c for c in cols]
    body = []
    for m in methods:
        row = [m]
        for c in cols:
            r = lookup[(m, c)]
            d = _per_column(digits, c, 4)
            text = "—" if m in not_built else _fmt(r["mean"], r["std"], r["n_seeds"], d)
            if (m, c) in best:
                text = bold(text)
            if r["paper"] is not None:
                text += f" ({r['paper']:.{d}f})"
            row.append(text)
        body.append(row)
    return head, body


def render_markdown(
    cells: pl.DataFrame,
    *,
    title: str,
    column_labels: dict[str, str] | None = None,
    higher_is_better: bool | dict[str, bool | None] = True,
    digits: int | dict[str, int] = 4,
    note: str = "",
    not_built: Sequence[str] = (),
) -> str:
    """A Markdown table; each cell reads ``mean ± std (paper)`` and the best mean is bold.
    ``note`` is appended under the table."""
    head, body = _cells_as_text(
        cells, column_labels, higher_is_better, digits, lambda t: f"**{t}**", not_built
    )
    lines = [f"### {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    n = int(cells["n_seeds"].max() or 0)
    paper = " (paper's reported value in parentheses)" if _has_paper(cells) else ""
    lines += ["", f"Cells: mean ± std over {n} seeds{paper}; best mean per column in bold.", ""]
    if note:
        lines += [note.strip(), ""]
    return "\n".join(lines)


def _has_paper(cells: pl.DataFrame) -> bool:
    return bool(cells["paper"].is_not_null().any())


def _tex_escape(s: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"),
                 ("#", r"\#"), ("$", r"\$")):
        s = s.replace(a, b)
    return s


def render_tex(
    cells: pl.DataFrame,
    *,
    title: str,
    column_labels: dict[str, str] | None = None,
    higher_is_better: bool | dict[str, bool | None] = True,
    digits: int | dict[str, int] = 4,
    note: str = "",
    not_built: Sequence[str] = (),
) -> str:
    """A booktabs LaTeX table in the same layout as :func:`render_markdown`."""
    head, body = _cells_as_text(
        cells, column_labels, higher_is_better, digits, lambda t: rf"\textbf{{{t}}}", not_built
    )
    paper = " paper value in parentheses;" if _has_paper(cells) else ""
    extra = f" {_tex_escape(note.strip())}" if note else ""
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        rf"\caption{{{_tex_escape(title)}. Mean $\pm$ std over seeds;{paper} best in bold.{extra}}}",
        r"\begin{tabular}{l" + "c" * (len(head) - 1) + "}",
        r"\toprule",
        " & ".join(map(_tex_escape, head)) + r" \\",
        r"\midrule",
    ]
    for row in body:
        cells_tex = [_tex_escape(row[0])] + [t.replace("±", r"$\pm$") for t in row[1:]]
        lines.append(" & ".join(cells_tex) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}", ""]
    return "\n".join(lines)
