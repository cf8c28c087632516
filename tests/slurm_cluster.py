"""A real single-node SLURM cluster on loopback, for the SLURM profile test.

Debian's ``munge``, ``slurmctld`` and ``slurmd`` are started in the foreground as children of
the test, with every state, spool, log, pid and socket file under one temporary folder, only
127.0.0.1 addresses and free ports, and no accounting daemon. They are stopped by PID.
Without ``slurmdbd`` the Snakemake plugin polls with ``squeue``, which sees a finished job only
for ``MinJobAge`` seconds: the configuration keeps finished jobs far longer than three times
the plugin's first status-check delay, or a run could wait forever for a job squeue forgot.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = (
    "munged",
    "mungekey",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "squeue",
    "sinfo",
    "scancel",
)
MIN_JOB_AGE = 600


def missing_commands() -> list[str]:
    """The SLURM and munge commands this machine lacks (Debian: slurmctld slurmd munge)."""
    paths = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return [c for c in DAEMONS if shutil.which(c, path=paths) is None]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def slurm_conf(root: Path, node: str, cpus: int, memory_mb: int, munge_socket: Path) -> str:
    """slurm.conf for one node on loopback, state under ``root``."""
    return "\n".join(
        [
            "ClusterName=compendium-test",
            f"SlurmctldHost={node}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={munge_socket}",
            "CommunicationParameters=NoInAddrAny,NoCtldInAddrAny",
            f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}",
            f"SlurmctldPidFile={root / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'slurmd.pid'}",
            f"SlurmctldLogFile={root / 'slurmctld.log'}",
            f"SlurmdLogFile={root / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "SchedulerType=sched/backfill",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "ReturnToService=2",
            f"MinJobAge={MIN_JOB_AGE}",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            f"NodeName={node} NodeAddr=127.0.0.1 NodeHostname={node} CPUs={cpus} "
            f"RealMemory={memory_mb} State=UNKNOWN",
            "PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


class Cluster:
    """Start munged, slurmctld and slurmd under ``root``; ``stop()`` kills them by PID."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "slurm.conf"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.node = socket.gethostname().split(".")[0]

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = f"{self.root / 'bin'}:" + env.get("PATH", "") + ":/usr/sbin:/sbin"
        return env

    def _spawn(self, *cmd: str) -> None:
        log = (self.root / f"{Path(cmd[0]).name}.out").open("ab")
        self.procs.append(
            subprocess.Popen(
                list(cmd),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )
        )

    def start(self, timeout: float = 90) -> None:
        munge = self.root / "munge"
        for sub in ("state", "spool", "munge", "bin"):
            (self.root / sub).mkdir(mode=0o700)
        self._srun_shim()
        key = munge / "munge.key"
        subprocess.run(
            ["mungekey", "--create", "--keyfile", str(key)],
            check=True,
            env=self.env,
            capture_output=True,
        )
        key.chmod(0o600)
        sock = munge / "munge.socket"
        self._spawn(
            "munged",
            "--foreground",
            "--force",
            f"--key-file={key}",
            f"--socket={sock}",
            f"--pid-file={munge / 'munged.pid'}",
            f"--log-file={munge / 'munged.log'}",
            f"--seed-file={munge / 'seed'}",
        )
        self._wait(lambda: sock.exists(), timeout, "munged socket")
        cpus = os.cpu_count() or 1
        self.conf.write_text(slurm_conf(self.root, self.node, cpus, _memory_mb() // 2, sock))
        self._spawn("slurmctld", "-D", "-i", "-f", str(self.conf))
        self._spawn("slurmd", "-D", "-N", self.node, "-f", str(self.conf))
        self._wait(self._node_idle, timeout, "an idle SLURM node")

    def _srun_shim(self) -> None:
        """An ``srun`` first on PATH that names this cluster's slurm.conf.

        Inside a job the plugin's jobstep drops every ``SLURM_*`` variable but a few before it
        calls ``srun``, SLURM_CONF included; a real cluster has its configuration at the
        compiled-in path, which this test must not touch.
        """
        real = shutil.which("srun")
        assert real, "srun not found (Debian package slurm-client)"
        shim = self.root / "bin" / "srun"
        shim.write_text(f'#!/bin/sh\nexport SLURM_CONF="{self.conf}"\nexec "{real}" "$@"\n')
        shim.chmod(0o755)

    def _node_idle(self) -> bool:
        out = subprocess.run(
            ["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True, check=False
        )
        return out.returncode == 0 and out.stdout.strip().startswith("idle")

    def _wait(self, ready, timeout: float, what: str) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            dead = [p.args[0] for p in self.procs if p.poll() is not None]
            if dead:
                raise RuntimeError(
                    f"{', '.join(dead)} exited while waiting for {what}:\n" + self.logs()
                )
            time.sleep(0.5)
        raise TimeoutError(f"no {what} after {timeout:.0f} s:\n{self.logs()}")

    def _wait_quiet(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["squeue", "-h", "-t", "PD,R,CG", "-o", "%i"],
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0 or not out.stdout.strip():
                return
            time.sleep(0.5)

    def logs(self) -> str:
        """The tail of every daemon log, for a failing test's message."""
        parts = []
        for log in sorted(self.root.rglob("*.log")) + sorted(self.root.glob("*.out")):
            text = log.read_text(errors="replace").splitlines()[-15:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

    def stop(self) -> None:
        """Cancel what is left in the queue, then stop the daemons by PID."""
        if self.conf.exists():
            subprocess.run(
                ["scancel", "--full", "--partition=main"],
                env=self.env,
                capture_output=True,
                check=False,
            )
            self._wait_quiet(30)
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
