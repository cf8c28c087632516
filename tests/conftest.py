"""Shared fixtures: the repository root and end-to-end builds in temporary copies."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from compendium.buildenv import DETERMINISM

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".tools",
    "results",
    "logs",
    ".snakemake",
    ".build",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "bench",
)
BUILD_ENV = DETERMINISM


def copy_repo(dest: Path) -> Path:
    """A clean copy of the project (sources only), as a fresh clone would have it."""
    shutil.copytree(REPO, dest, ignore=IGNORE)
    return dest


def copy_built(built: Path, dest: Path) -> Path:
    """A copy of a complete build: sources, results/, logs/ and the staging folder, with
    modification times kept, so Snakemake sees everything up to date (staged, or in place
    at the copy's root, where results/ holds the same files with the same times)."""
    shutil.copytree(built, dest, symlinks=True)
    return dest


def edit_qdpx(path: Path, edit: Callable[[str], str]) -> None:
    """Rewrite ``project.qde`` inside a ``.qdpx`` in place, as an author's re-export would."""
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "project.qde":
                data = edit(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)


def snakemake(
    workdir: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """Run the project's DAG in ``workdir`` with the test interpreter's Snakemake.

    ``PYTHONPATH`` makes the rules import the copy's own ``analysis`` package rather than
    the one the editable install points at (the repository, possibly mid-edit).
    """
    full_env = {**os.environ, **BUILD_ENV, **(env or {})}
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    full_env["PYTHONPATH"] = str(workdir)
    return subprocess.run(
        [str(BIN / "snakemake"), "-s", "workflow/Snakefile", "--cores", "2", *args],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_build(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """``python -m compendium.build`` in ``root``: the staged build ``make`` runs (Snakemake in
    ``root/.build``, ``results/`` published only on success), with ``root``'s own code."""
    full_env = {**os.environ, **BUILD_ENV, **(env or {})}
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "compendium.build", "--root", str(root), *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def staged_build(dest: Path) -> Path:
    """Copy the project to ``dest`` and build everything as ``make`` does."""
    copy_repo(dest)
    result = run_build(dest)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    return dest


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this pytest run sees (the controller's base temp)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the committed synthetic data, shared by the end-to-end tests.

    Built the way ``make`` builds (:mod:`compendium.build`), so the end-to-end tests check
    what a user gets. Built once per pytest run even across xdist workers: pytest-xdist 3.8
    does not keep ``xdist_group`` tests on one worker under pytest 9.2 (pytest-xdist#1386),
    so the first worker builds under a file lock and the others wait for it and reuse it.
    ``COMPENDIUM_TEST_BUILT=<folder>`` reuses a complete build made earlier instead; the
    tests only read it or copy it.
    """
    reuse = os.environ.get("COMPENDIUM_TEST_BUILT", "")
    if reuse:  # a complete build made earlier (e.g. by `make`), for a quick local run
        return Path(reuse).resolve()
    shared = shared_dir(tmp_path_factory)
    root, done = shared / "built" / "compendium", shared / "built.done"
    with (shared / "built.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            if root.exists():  # a worker that failed half-way: start again
                shutil.rmtree(root.parent)
            staged_build(root)
            done.touch()
    return root
