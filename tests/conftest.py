"""How the suite is spread over pytest-xdist's workers (`make test` runs `-n auto --dist
loadscope --no-loadscope-reorder`): every test file is one unit of work, so a module's
fixtures are built once, and the three files that share the session's tiny face run
(`tiny_run`) are one unit, so that run happens once and nothing else writes to its directory
meanwhile (:func:`pytest_xdist_make_scheduler`). The SLURM test goes first, since it mostly
waits on the cluster's status checks (about 25 CPU-s in 3-4 minutes) while the other worker
computes, then the other end-to-end runs, each of which takes minutes, then the unit tests,
which fill the gaps. Run without `-n` (one process), the order is pytest's, so the SLURM
file comes late and its runs, started in a background thread when the session has collected
(tests/workflow/conftest.py), overlap everything before it."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).parent
WORKFLOW = HERE / "workflow"
#: files whose tests share the session-scoped `tiny_run` fixture (tests/workflow/conftest.py)
TINY_RUN_FILES = {"test_tiny_run.py", "test_resume.py", "test_report.py"}
#: the end-to-end files, dearest first (the order the workers pick them up)
FIRST = ["test_slurm.py", "test_tiny_run.py", "test_resume.py", "test_report.py",
         "test_nodecls_run.py", "test_graphcls_run.py", "test_nodecls_plugin.py",
         "test_graphcls_plugin.py", "test_leaderboard.py", "test_claims.py"]


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or ``tiny_run`` for the three files that
    share that fixture."""
    path = nodeid.split("::", 1)[0]
    if path.startswith("tests/workflow/") and Path(path).name in TINY_RUN_FILES:
        return "tiny_run"
    return path


def _rank(path: Path) -> int:
    if path.parent == WORKFLOW:
        return FIRST.index(path.name) if path.name in FIRST else len(FIRST)
    return len(FIRST) + 1


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # in one process the SLURM file stays late
        items.sort(key=lambda item: _rank(Path(str(item.fspath))))  # stable within a rank


def pytest_configure(config):
    # Each worker's torch would otherwise start a thread per core, two workers on two cores
    # oversubscribing them; the end-to-end runs' jobs set their own threads.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # pytest-xdist is a test dependency; without it the suite runs serially
    LoadScopeScheduling = None

if LoadScopeScheduling is not None:
    class WorkUnitScheduling(LoadScopeScheduling):
        """xdist's load-scope scheduling with :func:`work_unit` as the scope. (xdist's own
        ``loadgroup`` would do this with ``xdist_group`` marks, but with pytest 9.2 and xdist
        3.8 it spread tests of one group over both workers, even with the mark written on
        the test functions.)"""

        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadscope":
            return WorkUnitScheduling(config, log)
        return None
