"""The DAG through the SLURM profile on a real single-node SLURM cluster (``make test-slurm``).

The cluster is Debian's slurmctld/slurmd/munge on loopback (tests/slurm_cluster.py). The build
is the staged build ``make slurm`` runs, in a fresh copy of the project; every file the
committed manifest covers must come out byte-identical to the local build's.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, copy_repo
from tests.slurm_cluster import Cluster, missing_commands

pytestmark = pytest.mark.slurm

TIMEOUT_S = 1200  # a hard stop: a status poll that never sees a job finish must not hang CI


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    missing = missing_commands()
    assert not missing, (
        f"SLURM test needs {', '.join(missing)}: "
        "apt-get install slurmctld slurmd munge (.ci/run does)"
    )
    c = Cluster(tmp_path_factory.mktemp("slurm"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


def _manifest() -> dict[str, str]:
    rows = (line.split("  ", 1) for line in (REPO / "results.sha256").read_text().splitlines())
    return {path: digest for digest, path in rows}


def test_the_dag_runs_on_slurm_byte_identical(cluster: Cluster, tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "copy")
    cmd = [
        sys.executable,
        "-m",
        "compendium.build",
        "--root",
        str(root),
        "--profile",
        str(root / "workflow" / "profiles" / "slurm"),
        "--slurm-status-command",
        "squeue",
        "--slurm-init-seconds-before-status-checks",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=root,
        env=cluster.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"SLURM build hung for {TIMEOUT_S} s:\n{out[-3000:]}\n{cluster.logs()}")
    assert proc.returncode == 0, f"{out[-4000:]}\n{cluster.logs()}"
    jobs = subprocess.run(
        ["squeue", "-h", "-t", "all", "-o", "%i"],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(jobs) >= 10, f"expected the DAG's jobs to run as SLURM jobs, saw {jobs}"
    differ = [
        path
        for path, digest in _manifest().items()
        if not (root / path).is_file()
        or hashlib.sha256((root / path).read_bytes()).hexdigest() != digest
    ]
    assert not differ, f"differ from the local build (results.sha256): {differ}"
