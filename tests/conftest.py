"""How the suite is spread over pytest-xdist's workers (`make test` runs `-n auto --dist
loadgroup`): every test file is one group, so a module's fixtures are built once; the files that
share the session's tiny face run (`tiny_run`) are one group, so that run happens once; the
SLURM test goes first, since it mostly waits on the cluster's status checks (about 25 CPU-s
in 2-4 minutes of wall time) and the other worker computes meanwhile, then the other
end-to-end runs, each of which takes minutes, then the unit tests, which fill the gaps.
Run without `-n`, pytest ignores the groups and this order is harmless."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).parent
WORKFLOW = HERE / "workflow"
#: files whose tests share the session-scoped `tiny_run` fixture (tests/workflow/conftest.py)
TINY_RUN_FILES = {"test_tiny_run.py", "test_resume.py", "test_report.py"}
#: the end-to-end files, dearest first (the order a worker picks them up)
FIRST = ["test_slurm.py", "test_tiny_run.py", "test_resume.py", "test_report.py",
         "test_nodecls_run.py", "test_graphcls_run.py", "test_nodecls_plugin.py",
         "test_graphcls_plugin.py", "test_leaderboard.py", "test_claims.py"]


def _group(path: Path) -> str:
    if path.parent == WORKFLOW and path.name in TINY_RUN_FILES:
        return "tiny_run"
    return str(path.relative_to(HERE))


def _rank(path: Path) -> int:
    if path.parent == WORKFLOW:
        return FIRST.index(path.name) if path.name in FIRST else len(FIRST)
    return len(FIRST) + 1


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_group(Path(str(item.fspath)))))
    items.sort(key=lambda item: _rank(Path(str(item.fspath))))  # stable within a rank


def pytest_configure(config):
    # Each worker's torch would otherwise start a thread per core, two workers on two cores
    # oversubscribing them; the end-to-end runs' jobs set their own threads.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
