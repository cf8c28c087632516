"""Shared fixtures: the repository root and end-to-end builds in temporary copies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns(".git", ".venv", ".tools", "results", "logs", ".snakemake",
                                "__pycache__", ".pytest_cache", ".ruff_cache", "bench")
BUILD_ENV = {"SOURCE_DATE_EPOCH": "1727395200", "PYTHONHASHSEED": "0", "TZ": "UTC",
             "LC_ALL": "C.UTF-8", "MPLBACKEND": "Agg"}


def copy_repo(dest: Path) -> Path:
    """A clean copy of the project (sources only), as a fresh clone would have it."""
    shutil.copytree(REPO, dest, ignore=IGNORE)
    return dest


def snakemake(workdir: Path, *args: str, env: dict[str, str] | None = None,
              timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """Run the project's DAG in ``workdir`` with the test interpreter's Snakemake."""
    full_env = {**os.environ, **BUILD_ENV, **(env or {})}
    full_env["PATH"] = f"{BIN}{os.pathsep}{full_env.get('PATH', '')}"
    return subprocess.run(
        [str(BIN / "snakemake"), "-s", "workflow/Snakefile", "--cores", "2", *args],
        cwd=workdir, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def build(dest: Path) -> Path:
    """Copy the project to ``dest`` and build everything; fail with Snakemake's output."""
    copy_repo(dest)
    result = snakemake(dest)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    return dest


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One full build of the committed synthetic data, shared by the end-to-end tests."""
    return build(tmp_path_factory.mktemp("build-a") / "compendium")
