"""environment.yml and the workflow's conda file are generated from uv.lock and pin every
locked package."""

from __future__ import annotations

import tomllib

import yaml

from analysis.environment import expected_files
from tests.conftest import REPO


def test_conda_files_match_the_lock() -> None:
    for path, text in expected_files(REPO).items():
        assert (REPO / path).read_text(encoding="utf-8") == text, (
            f"{path} is out of step with uv.lock: run `make environment`"
        )


def test_every_locked_package_is_pinned() -> None:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    locked = {p["name"] for p in lock["package"] if p.get("source", {}).get("editable") is None}
    spec = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    pinned = {r.split("==")[0].lower().replace("_", "-") for r in pip if "==" in r}
    missing = {n.lower() for n in locked} - pinned
    assert not missing, f"locked but not pinned in environment.yml: {sorted(missing)}"
    assert spec["dependencies"][0] == "python>=3.11,<3.14"
