"""A throwaway one-node SLURM cluster for the workflow tests (Debian's slurm-wlm + munge).

Everything the cluster writes lives in one temporary directory: the munge key, socket and
logs, slurm.conf, the controller's state, the node's spool, PID and log files. The daemons
run in the foreground (``munged -F``, ``slurmctld -D``, ``slurmd -D``) as children of this
process, so ``stop()`` ends exactly the processes ``start()`` started, by PID. Clients
(``sbatch``, ``squeue``, ...) find the cluster through ``SLURM_CONF`` in :attr:`env`.

Usable by hand, too::

    python tests/workflow/slurm_cluster.py     # start, print the environment, wait for ^C
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Self

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]
COMMANDS = ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel", "srun"]
# Client commands given SLURM_CONF by a wrapper in bin/ (see SlurmCluster._write_wrappers).
CLIENTS = ["sbatch", "srun", "squeue", "scancel", "scontrol", "sinfo", "sacct", "sacctmgr",
           "sshare"]


class SlurmUnavailable(RuntimeError):
    """A local SLURM cluster cannot be provided here (the message says why)."""


def missing_commands() -> list[str]:
    return [c for c in COMMANDS if shutil.which(c) is None]


def ensure_installed(timeout: float = 600) -> None:
    """Install SLURM and munge from the distribution's packages when they are missing.

    Needs root and apt-get; raises :class:`SlurmUnavailable` naming what is missing
    otherwise, or the tail of apt-get's output when the installation fails.
    """
    missing = missing_commands()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable(f"{', '.join(missing)} not installed and not running as root "
                               f"(needs: apt-get install {' '.join(PACKAGES)})")
    if shutil.which("apt-get") is None:
        raise SlurmUnavailable(f"{', '.join(missing)} not installed and no apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"],
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES]):
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as err:
            raise SlurmUnavailable(f"{' '.join(cmd)} took more than {timeout:.0f}s") from err
        if proc.returncode != 0:
            raise SlurmUnavailable(f"{' '.join(cmd)} failed ({proc.returncode}):\n"
                                   f"{(proc.stdout + proc.stderr)[-3000:]}")
    missing = missing_commands()
    if missing:
        raise SlurmUnavailable(f"still missing after apt-get install: {', '.join(missing)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_hardware() -> dict[str, str]:
    """What ``slurmd -C`` reports for this machine: NodeName, CPUs, ..., RealMemory."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    first = out.splitlines()[0]
    return dict(item.split("=", 1) for item in first.split())


class SlurmCluster:
    """One controller and one compute node on this machine, for as long as the object lives.

    ``min_job_age`` keeps finished jobs visible to ``squeue`` (there is no slurmdbd, so
    ``sacct`` cannot report them); ``def_mem_per_cpu`` is the memory a job gets when it
    asks for none (without it every job takes the whole node).
    """

    def __init__(self, root: Path | None = None, *, min_job_age: int = 3600,
                 def_mem_per_cpu: int = 500, partition: str = "imbgraph", gpus: int = 0):
        self._own_root = root is None
        if root is None:
            # Not under pytest's tmp_path: its 0700 parents keep the munge user out.
            root = Path(tempfile.mkdtemp(prefix="imbgraph-slurm-"))
        self.root = Path(root)
        self.min_job_age = min_job_age
        self.def_mem_per_cpu = def_mem_per_cpu
        self.partition = partition
        self.gpus = gpus
        self.procs: dict[str, subprocess.Popen] = {}
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge" / "munge.socket"
        self.bin = self.root / "bin"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf),
                    "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', os.defpath)}"}
        self.node = ""

    # -- set-up -------------------------------------------------------------------------------

    def _write_munge(self) -> None:
        munge = pwd.getpwnam("munge")
        mdir = self.root / "munge"
        mdir.mkdir()
        mdir.chmod(0o711)  # munged: clients need execute permission to reach the socket
        key = mdir / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        for path in (mdir, key):
            os.chown(path, munge.pw_uid, munge.pw_gid)

    def _write_conf(self) -> None:
        hw = node_hardware()
        self.node = hw["NodeName"]
        for d in ("state", "spool", "log"):
            (self.root / d).mkdir()
        node_spec = " ".join(f"{k}={hw[k]}" for k in (
            "CPUs", "Boards", "SocketsPerBoard", "CoresPerSocket", "ThreadsPerCore",
            "RealMemory") if k in hw)
        r = self.root
        gres = ""
        if self.gpus:
            # Stand-in GPUs: SLURM counts and hands them out (sbatch --gpus=1) like real
            # ones, but gres/gpu wants a device file per card and there is no card, so each
            # is backed by a harmless character device. Jobs see CUDA_VISIBLE_DEVICES and no
            # CUDA device, and run on the CPU.
            devices = ["/dev/null", "/dev/zero", "/dev/full", "/dev/random"][: self.gpus]
            if len(devices) < self.gpus:
                raise ValueError("at most 4 stand-in GPUs")
            node_spec += f" Gres=gpu:{self.gpus}"
            gres = "GresTypes=gpu\n"
            (r / "gres.conf").write_text(
                "AutoDetect=off\n" + "".join(f"Name=gpu File={d}\n" for d in devices))
        self.conf.write_text(gres + f"""\
# Generated by tests/workflow/slurm_cluster.py: one node, no accounting database.
ClusterName=imbgraph
SlurmctldHost={self.node}(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.munge_socket}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU={self.def_mem_per_cpu}
MinJobAge={self.min_job_age}
ReturnToService=2
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName={self.node} NodeAddr=127.0.0.1 {node_spec} State=UNKNOWN
PartitionName={self.partition} Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
""")

    def _write_wrappers(self) -> None:
        # A real cluster's slurm.conf sits where every client looks (/etc/slurm) or comes
        # from slurmctld (configless); this one is found through SLURM_CONF only. The
        # executor plugin's job step drops every SLURM_* variable before it calls srun
        # inside the job, so the clients on PATH are wrappers that set it again.
        self.bin.mkdir()
        for name in CLIENTS:
            real = shutil.which(name)
            if real is None:
                continue
            wrapper = self.bin / name
            wrapper.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {real} "$@"\n')
            wrapper.chmod(0o755)

    def _spawn(self, name: str, cmd: list[str], **kwargs) -> None:
        log = open(self.root / "log" / f"{name}.out", "wb")  # noqa: SIM115 - lives with the daemon
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=self.env,
                                            start_new_session=True, **kwargs)
        log.close()

    def _wait_for(self, what: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise SlurmUnavailable(f"{name} exited ({proc.returncode}) while waiting "
                                           f"for {what} (files kept in {self.root})\n"
                                           f"{self.logs()}")
            if ready():
                return
            time.sleep(0.2)
        raise SlurmUnavailable(f"timed out after {timeout:.0f}s waiting for {what} (files kept "
                               f"in {self.root})\n{self.logs()}")

    def node_state(self) -> str:
        proc = subprocess.run(["sinfo", "-h", "-N", "-o", "%T"], capture_output=True,
                              text=True, env=self.env, check=False)
        return proc.stdout.strip() if proc.returncode == 0 else ""

    def start(self, timeout: float = 60) -> SlurmCluster:
        """Start munged, slurmctld and slurmd; return once the node is idle."""
        try:
            if os.geteuid() != 0:
                raise SlurmUnavailable("starting slurmd/slurmctld/munged needs root")
            try:
                munge = pwd.getpwnam("munge")
            except KeyError as err:
                raise SlurmUnavailable("no user 'munge' (is munge installed?)") from err
        except SlurmUnavailable:
            if self._own_root:
                shutil.rmtree(self.root, ignore_errors=True)  # nothing in it yet
            raise
        self.root.chmod(0o755)  # the munge user must reach root/munge
        self._write_munge()
        try:
            self._write_conf()
        except (subprocess.CalledProcessError, OSError, KeyError, IndexError) as err:
            raise SlurmUnavailable(f"cannot describe this node with `slurmd -C`: {err}") from err
        self._write_wrappers()
        m = self.root / "munge"
        try:
            self._spawn("munged", [
                "munged", "-F", f"--socket={self.munge_socket}", f"--key-file={m / 'munge.key'}",
                f"--pid-file={m / 'munged.pid'}", f"--log-file={m / 'munged.log'}",
                f"--seed-file={m / 'munged.seed'}",
            ], user=munge.pw_uid, group=munge.pw_gid, extra_groups=[])
            self._wait_for("the munge socket", self.munge_socket.exists, timeout)
            self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
            self._spawn("slurmd", ["slurmd", "-D", "-N", self.node, "-f", str(self.conf)])
            self._wait_for("the node to become idle", lambda: self.node_state() == "idle",
                           timeout)
        except BaseException:
            self.stop()
            raise
        return self

    # -- use ----------------------------------------------------------------------------------

    def jobs(self) -> list[dict[str, str]]:
        """Every job the controller still knows: id, name, state, comment (rule/wildcards)."""
        out = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%j|%T|%k"],
                             capture_output=True, text=True, env=self.env, check=True).stdout
        rows = [line.split("|", 3) for line in out.splitlines() if line.strip()]
        return [dict(zip(("id", "name", "state", "comment"), row, strict=True)) for row in rows]

    def logs(self, tail: int = 2000) -> str:
        parts = []
        for path in sorted(self.root.glob("log/*")) + sorted(self.root.glob("munge/*.log")):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            parts.append(f"--- {path.name} ---\n{text[-tail:]}")
        return "\n".join(parts)

    # -- tear-down ----------------------------------------------------------------------------

    def stop(self, timeout: float = 20) -> None:
        """Cancel what is left in the queue, then end the daemons started here, by PID."""
        ctld = self.procs.get("slurmctld")
        if ctld is not None and ctld.poll() is None:
            user = pwd.getpwuid(os.getuid()).pw_name
            subprocess.run(["scancel", "--full", "--quiet", "--user", user], env=self.env,
                           capture_output=True, timeout=30, check=False)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    if all(j["state"] not in ("PENDING", "RUNNING", "COMPLETING", "CONFIGURING")
                           for j in self.jobs()):
                        break
                except subprocess.CalledProcessError:
                    break
                time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.pop(name, None)
            if proc is None:
                continue
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)

    def cleanup(self) -> None:
        """Stop the daemons and delete the cluster's directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()



class Background:
    """One piece of work run in a daemon thread from the moment the test session has
    collected (tests/workflow/conftest.py starts it), so that a test that mostly waits (the
    SLURM runs: status checks every few seconds, ~25 CPU-s in 2-4 minutes) overlaps the
    rest of the suite; its tests then take the result (:meth:`result`, which starts the work
    itself when nothing did). Exceptions, pytest's skip and fail included, reach the test
    that asks. :meth:`close` cancels the work (:attr:`cancelled`, which the work checks before
    each subprocess it starts, and a kill of the current one, :attr:`proc`), waits for it to
    end, then runs the registered clean-ups (last first): a session that ends early (``-x``,
    an error) leaves no daemon behind."""

    def __init__(self) -> None:
        self._work: Callable[[], object] | None = None
        self._thread: threading.Thread | None = None
        self._value: object = None
        self._error: BaseException | None = None
        self._cleanups: list[Callable[[], None]] = []
        self.proc: subprocess.Popen | None = None
        self.cancelled = False

    def register(self, work: Callable[[], object]) -> None:
        self._work = work

    def add_cleanup(self, fn: Callable[[], None]) -> None:
        self._cleanups.append(fn)

    def start(self) -> None:
        if self._thread is not None or self._work is None:
            return

        def run() -> None:
            try:
                self._value = self._work()
            except BaseException as err:  # noqa: BLE001 - handed to the test that asks
                self._error = err

        self._thread = threading.Thread(target=run, name="background-work", daemon=True)
        self._thread.start()

    def result(self):
        self.start()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value

    def close(self) -> None:
        self.cancelled = True
        if self._thread is not None:
            deadline = time.monotonic() + 120
            while self._thread.is_alive() and time.monotonic() < deadline:
                if self.proc is not None and self.proc.poll() is None:
                    self.proc.kill()
                self._thread.join(timeout=0.5)
        while self._cleanups:
            self._cleanups.pop()()


#: the SLURM test's runs (registered by test_slurm.py)
SLURM_RUNS = Background()


if __name__ == "__main__":
    ensure_installed()
    with SlurmCluster(gpus=2) as cluster:
        print(f"export SLURM_CONF={cluster.conf} PATH={cluster.bin}:$PATH")
        subprocess.run(["sinfo"], env=cluster.env, check=False)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
