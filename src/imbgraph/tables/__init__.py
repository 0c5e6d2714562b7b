"""Per-run metrics -> paper tables (aggregate with polars, render md / csv / tex)."""

from imbgraph.tables.aggregate import load_runs, summarise
from imbgraph.tables.render import render_markdown, render_tex

__all__ = ["load_runs", "render_markdown", "render_tex", "summarise"]
