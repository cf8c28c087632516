"""Keep the conda specs (environment.yml, workflow/envs/compendium.yml) in step with uv.lock.

uv.lock is the single source of versions. Conda users get an interpreter in the supported
range and every locked package pinned (``uv export``: the runtime and development groups, with
their platform markers), installed by pip inside the conda environment, so no package is
resolved twice by two solvers. The workflow's file omits the project itself: the Snakefile puts
the repository on ``PYTHONPATH`` for every job.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tomllib
from collections.abc import Sequence
from pathlib import Path

from analysis.io import write_text

REPO = Path(__file__).resolve().parents[1]
TARGETS = {"environment.yml": True, "workflow/envs/compendium.yml": False}


def uv_binary() -> str:
    """The uv that installed the project (``make env`` puts it in .tools/), else uv on PATH."""
    for candidate in (
        os.environ.get("UV"),
        str(REPO / ".tools" / "bin" / "uv"),
        shutil.which("uv"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FileNotFoundError("uv not found: run `make env` (it installs uv into .tools/)")


def locked_requirements(repo: Path = REPO) -> list[str]:
    """Every locked package as ``name==version[ ; marker]``, from the lock, offline."""
    out = subprocess.run(
        [
            uv_binary(),
            "export",
            "--frozen",
            "--no-hashes",
            "--all-groups",
            "--no-emit-project",
            "--format",
            "requirements.txt",
            "--quiet",
        ],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [
        line.strip()
        for line in out.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    ]


def python_range(pyproject: Path) -> str:
    """The conda spelling of pyproject's requires-python (``>=3.11,<3.14``)."""
    spec = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["requires-python"]
    return "python" + spec.replace(" ", "")


def environment_yaml(requirements: Sequence[str], python: str, with_project: bool) -> str:
    """The conda environment text for ``requirements`` (pip section) and ``python``."""
    pins = "".join(f"      - {r}\n" for r in requirements)
    project = "      - -e .\n" if with_project else ""
    return (
        "# Generated from uv.lock by `make environment` -- do not edit by hand.\n"
        "# conda env create -f environment.yml && conda activate peerwork-compendium\n"
        "name: peerwork-compendium\n"
        "channels:\n  - conda-forge\n"
        f'dependencies:\n  - "{python}"\n  - pip\n  - pip:\n{pins}{project}'
    )


def expected_files(repo: Path = REPO) -> dict[str, str]:
    """Each generated conda file's text, by path relative to the repository."""
    requirements = locked_requirements(repo)
    python = python_range(repo / "pyproject.toml")
    return {
        path: environment_yaml(requirements, python, with_project)
        for path, with_project in TARGETS.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    for path, text in expected_files().items():
        write_text(text, REPO / path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
