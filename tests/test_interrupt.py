"""Interrupted builds: a build killed at any point, then run again, ends byte-identical.

One copy of the project is built with ``python -m compendium.build`` and SIGKILLed (the whole
process group: the build, Snakemake and its jobs) at points chosen by what the build has
printed, so they land in the same phase on a fast or a loaded machine: 1 s after the start
(interpreter start-up, the snapshot of the sources, Snakemake parsing the workflow), as
soon as Snakemake starts building the DAG, 2 s after the first job of the run started
(cleaning), and 1 s after the tenth job of the run finished (tallies, statistics,
figures or notebooks running); then once more in the middle of publishing, through the
build's documented test hook (``ANALYSIS_BUILD_KILL_AFTER_PUBLISHING``: SIGKILL after N
published files). A last run finishes the job; every file under ``results/`` must then
equal the uninterrupted session build (``built``). Nothing is published before Snakemake
has succeeded, and an interrupted publish is completed by the next build before anything
else.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compendium import build as staged
from tests.conftest import BIN, BUILD_ENV, copy_repo
from tests.test_build import digests

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def start(root: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m compendium.build`` in its own session (process group = its pid)."""
    full_env = {**os.environ, **BUILD_ENV, **(env or {})}
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "compendium.build", "--root", str(root)],
            cwd=root,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill_when(
    proc: subprocess.Popen[bytes],
    log: Path,
    offset: int,
    pattern: str,
    delay: float,
    timeout: float = 900,
) -> bool:
    """SIGKILL the build's whole process group ``delay`` s after ``pattern`` first appears
    in its output (``log`` from byte ``offset``); False if the build ended first."""
    found = re.compile(pattern, re.MULTILINE)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if found.search(log.read_bytes()[offset:].decode("utf-8", "replace")):
            time.sleep(delay)
            break
        time.sleep(0.2)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def tail(log: Path) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-6000:]


def test_killed_builds_finish_with_the_reference_bytes(built: Path, tmp_path: Path) -> None:
    root = copy_repo(tmp_path / "compendium")
    log = tmp_path / "builds.log"
    stage = root / staged.STAGE

    kill_points = [
        ("start-up", r"", 1.0),
        ("DAG", r"^Building DAG of jobs", 0.0),
        ("first job", r"^(local)?rule \w+:", 2.0),
        ("tenth job", r"^(1\d|[2-9]\d) of \d+ steps", 1.0),
    ]
    for phase, pattern, delay in kill_points:
        offset = log.stat().st_size if log.exists() else 0
        proc = start(root, log)
        assert kill_when(proc, log, offset, pattern, delay), f"ended before {phase}:\n" + tail(log)
        assert not (root / "results").exists(), f"build killed at {phase} published something"
        if phase == "first job":
            locks = stage / ".snakemake" / "locks"
            assert locks.is_dir() and any(locks.iterdir()), "no stale lock to clear"

    # Snakemake finishes, then the build dies in the middle of publishing.
    proc = start(root, log, env={staged.KILL_HOOK: "60"})
    assert proc.wait(timeout=900) == -signal.SIGKILL, tail(log)
    assert (stage / staged.MARKER).exists()
    partial = digests(root / "results")
    assert 0 < len(partial) < len(digests(built / "results")), "publish was not interrupted"

    # The next build completes the publish; Snakemake has nothing left to do.
    proc = start(root, log)
    assert proc.wait(timeout=900) == 0, tail(log)
    last = tail(log)
    assert "stopped while publishing" in last
    assert "Nothing to be done" in last
    assert not (stage / staged.MARKER).exists()

    reference, got = digests(built / "results"), digests(root / "results")
    assert got.keys() == reference.keys(), sorted(got.keys() ^ reference.keys())
    # the Snakemake report records when each job ran: the one file that may not repeat
    differ = [k for k in reference if reference[k] != got[k] and k != staged.REPORT]
    assert not differ, f"interrupted build differs from the reference: {differ}"
    assert digests(root / "logs").keys() == digests(stage / "logs").keys()
