"""Keep the conda spec (environment.yml) in step with the Python lock (uv.lock).

uv.lock is the single source of versions. Conda users get the same interpreter series and
the same pinned packages (installed by pip from PyPI inside the conda environment, so no
package is resolved twice by two solvers).
"""

from __future__ import annotations

import argparse
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

from analysis.io import write_text


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def locked_versions(lock: Path) -> dict[str, str]:
    """Every package's version in uv.lock, by normalised name."""
    data = tomllib.loads(lock.read_text(encoding="utf-8"))
    return {p["name"].lower(): p["version"] for p in data["package"] if "version" in p}


def environment_yaml(lock: Path, pyproject: Path) -> str:
    """environment.yml text: Python 3.11 from conda-forge, direct dependencies pinned to
    their locked versions (runtime and development groups)."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    versions = locked_versions(lock)
    direct = [*project["project"]["dependencies"],
              *project.get("dependency-groups", {}).get("dev", [])]
    names = sorted({_name(r) for r in direct})
    missing = [n for n in names if n not in versions]
    if missing:
        raise ValueError(f"not in {lock}: {', '.join(missing)} (run `uv lock`)")
    pins = "\n".join(f"      - {n}=={versions[n]}" for n in names)
    return (
        "# Generated from uv.lock by `make environment` -- do not edit by hand.\n"
        "# conda env create -f environment.yml && conda activate peerwork-compendium\n"
        "name: peerwork-compendium\n"
        "channels:\n  - conda-forge\n"
        "dependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
        f"{pins}\n      - -e .\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lock", type=Path)
    ap.add_argument("output", type=Path)
    args = ap.parse_args(argv)
    write_text(environment_yaml(args.lock, Path("pyproject.toml")), args.output)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
