"""`snakemake --report`: the tiny config's tables and figure in one self-contained HTML file,
each with a caption naming what it shows and the paper it compares with, rendered in headless
Chromium (Debian's `chromium`, installed with apt-get when missing)."""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import pytest
import yaml
from snakemake_helpers import snakemake

from imbgraph.tables.aggregate import reference_title

pytestmark = pytest.mark.workflow

# As root Chromium needs --no-sandbox; with no network here, nothing may try to reach one;
# --disable-dev-shm-usage keeps a container's small /dev/shm from crashing the renderer.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--virtual-time-budget=10000",
]


@pytest.fixture(scope="module")
def report(tiny_run):
    """`snakemake --report results/report.html` after the tiny run (conftest.py)."""
    workdir, config = tiny_run
    snakemake(workdir, config, "--report", "results/report.html")
    cfg = yaml.safe_load(config.read_text())
    return workdir, workdir / "results/report.html", cfg


@pytest.fixture(scope="module")
def chromium():
    """Path of Debian's chromium, installed with apt-get if missing; skips only when that fails."""
    if shutil.which("chromium") is None:
        if shutil.which("apt-get") is None:
            pytest.skip("chromium is not installed and there is no apt-get to install it")
        if os.geteuid() != 0:
            pytest.skip("chromium is not installed and installing it with apt-get needs root")
        failure = _apt_install_chromium()
        if failure:
            pytest.skip(f"chromium is not installed and could not be installed: {failure}")
    return shutil.which("chromium")


def _apt_install_chromium() -> str | None:
    """Install Debian's chromium (updating the package lists if that fails); None on success."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
    failure = None
    for cmds in ([install], [["apt-get", "update"], install]):
        for cmd in cmds:
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
            except subprocess.TimeoutExpired:
                failure = f"`{' '.join(cmd)}` timed out"
                break
            if proc.returncode != 0:
                failure = f"`{' '.join(cmd)}` failed: {(proc.stdout + proc.stderr)[-500:]}"
                break
        else:
            if shutil.which("chromium"):
                return None
            failure = "apt-get succeeded but no `chromium` is on PATH"
    return failure


def _chromium(binary: str, tmp: Path, page: Path, *args: str) -> str:
    """Run headless Chromium on ``page`` with a fresh profile; return its stdout."""
    profile = Path(tmp) / f"profile-{len(list(Path(tmp).glob('profile-*')))}"
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=180)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}"
    return proc.stdout


def _report_var(page: str, script_id: str, name: str):
    """The JSON the report embeds in ``<script id=...>var name = ...;</script>``."""
    m = re.search(rf'<script id="{script_id}">\s*var {name} = (.*?);\s*</script>', page, re.S)
    assert m, f"no {name} in the report"
    return json.loads(m.group(1))


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed (each tag becomes a space)."""
    fragment = re.sub(r"<(script|style)\b.*?</\1>", " ", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _squash(text: str) -> str:
    return " ".join(text.split())


def _expected_results(cfg) -> dict[str, str]:
    """Every result the report must hold -> its MIME type."""
    out = {}
    for table in cfg["tables"]:
        out[f"results/tables/{table}.md"] = "text/markdown"
        out[f"results/tables/{table}.csv"] = "text/csv"
    for figure in cfg["figures"]:
        out[f"results/figures/{figure}.png"] = "image/png"
        out[f"results/figures/{figure}.csv"] = "text/csv"
    return out


def _table_rows(workdir: Path, table: str) -> list[str]:
    """The Markdown table's lines (header, rule, rows), whitespace collapsed."""
    md = (workdir / f"results/tables/{table}.md").read_text(encoding="utf-8")
    return [_squash(line) for line in md.splitlines() if line.startswith("|")]


def _paper(table_cfg) -> str:
    """What the caption must name: the title of the table's reference file."""
    title = reference_title(table_cfg["reference"])
    assert title
    return title


def test_report_embeds_every_table_and_figure(report):
    workdir, path, cfg = report
    page = path.read_text(encoding="utf-8")
    results = _report_var(page, "results", "results")
    assert {p: r["mime_type"] for p, r in results.items()} == _expected_results(cfg)
    # Self-contained: each result is a data URI of the file's bytes; nothing loads from outside.
    for p, r in results.items():
        head, payload = r["data_uri"].split(";base64,", 1)
        assert head.startswith(f"data:{r['mime_type']};")
        assert base64.b64decode(payload) == (workdir / p).read_bytes(), p
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"']?(https?:)?//", page)
    assert _report_var(page, "categories", "categories") == {
        "Tables": {t: [f"results/tables/{t}.csv", f"results/tables/{t}.md"] for t in cfg["tables"]},
        "Figures": {f: [f"results/figures/{f}.csv", f"results/figures/{f}.png"]
                    for f in cfg["figures"]},
    }
    for table, t in cfg["tables"].items():
        md = results[f"results/tables/{table}.md"]
        assert md["labels"] == {
            "table": table, "title": t["title"], "file": "Markdown (paper layout)"}
        caption = _text(md["caption"])
        assert t["title"] in caption and f"Compared with {_paper(t)}" in caption, caption
        # The table itself is in the caption, row by row.
        rows = _table_rows(workdir, table)
        assert len(rows) > 2 and all(row in caption for row in rows), caption
        assert "System Message" not in caption  # no reStructuredText error
        assert t["title"] in _text(results[f"results/tables/{table}.csv"]["caption"])
    for figure, f in cfg["figures"].items():
        caption = _text(results[f"results/figures/{figure}.png"]["caption"])
        assert f["title"] in caption and f"Compared with {f['compared_with']}" in caption
        assert "System Message" not in caption


def test_report_renders_in_chromium(report, chromium, tmp_path):
    """The landing page, drawn by the report's JavaScript: a screenshot and the page text."""
    _, path, cfg = report
    shot = tmp_path / "report.png"
    _chromium(chromium, tmp_path, path, f"--screenshot={shot}", "--window-size=1400,1000")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (1400, 1000)
    assert len(data) > 20_000  # text and the rule graph, not a blank page
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert (pixels < 0.5).mean() > 0.005  # dark text on the white page

    # Text outside <script> exists only once React has rendered the app.
    text = _text(_chromium(chromium, tmp_path, path, "--dump-dom"))
    for word in ("Workflow", "Statistics", "Tables", "Figures"):
        assert word in text
    assert "System Message" not in text  # the landing text is valid reStructuredText
    for table, t in cfg["tables"].items():
        assert f"{table}.md : {t['title']} (compared with {_paper(t)}" in text, text[:3000]
    for figure, f in cfg["figures"].items():
        assert f"{figure}.png : {f['title']} (compared with {f['compared_with']})" in text


# Opens each result's panel in turn, as a click on it would, and records the caption shown.
_SHOW_CAPTIONS = """
<script>
window.addEventListener("load", function () {
  const paths = %s;
  const shown = {};
  let i = 0;
  function step() {
    if (i > 0) {
      shown[paths[i - 1]] = Array.from(document.querySelectorAll(".prose-invert"))
        .map(function (el) { return el.innerText; }).join("\\n");
    }
    if (i < paths.length) {
      app.showResultInfo(paths[i]);
      i += 1;
      setTimeout(step, 200);
    } else {
      const out = document.createElement("pre");
      out.id = "shown-captions";
      out.textContent = JSON.stringify(shown);
      document.body.appendChild(out);
    }
  }
  setTimeout(step, 200);
});
</script>
"""


def test_result_panels_show_the_captions(report, chromium, tmp_path):
    """Each table's and the figure's panel shows its caption (and the table) in Chromium."""
    workdir, path, cfg = report
    paths = [p for p in _expected_results(cfg) if not p.endswith(".csv")]
    page = path.read_text(encoding="utf-8")
    end = page.rindex("</body>")
    probe = tmp_path / "report_probe.html"
    probe.write_text(page[:end] + _SHOW_CAPTIONS % json.dumps(paths) + page[end:],
                     encoding="utf-8")
    dom = _chromium(chromium, tmp_path, probe, "--dump-dom")
    m = re.search(r'<pre id="shown-captions">(.*?)</pre>', dom, re.S)
    assert m, "the probe script did not finish"
    shown = {p: _squash(t) for p, t in json.loads(html.unescape(m.group(1))).items()}
    assert set(shown) == set(paths)
    for table, t in cfg["tables"].items():
        text = shown[f"results/tables/{table}.md"]
        assert t["title"] in text and f"Compared with {_paper(t)}" in text, text
        assert f"mean ± std over {len(cfg['seeds'])} seeds" in text
        assert all(row in text for row in _table_rows(workdir, table)), text
    for figure, f in cfg["figures"].items():
        text = shown[f"results/figures/{figure}.png"]
        assert f["title"] in text and f"Compared with {f['compared_with']}" in text, text
