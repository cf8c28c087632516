"""environment.yml is generated from uv.lock and must be in step with it."""

from __future__ import annotations

from analysis.environment import environment_yaml
from tests.conftest import REPO


def test_environment_yml_matches_the_lock() -> None:
    expected = environment_yaml(REPO / "uv.lock", REPO / "pyproject.toml")
    assert (REPO / "environment.yml").read_text(encoding="utf-8") == expected, (
        "environment.yml is out of step with uv.lock: run `make environment`")
