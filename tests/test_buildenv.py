"""One build environment: the Makefile, the staged build, make verify and the tests agree."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from compendium import build, verify
from compendium.buildenv import DETERMINISM, deterministic, make_exports
from tests.conftest import BUILD_ENV, REPO


def test_fixed_values_win_over_the_callers_environment() -> None:
    env = deterministic({"TZ": "Europe/Oslo", "SOURCE_DATE_EPOCH": "1", "HOME": "/h"})
    assert env["HOME"] == "/h"
    assert {k: env[k] for k in DETERMINISM} == DETERMINISM


def test_build_verify_and_tests_use_the_one_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "nb_NO.UTF-8")
    staged = build.build_env(REPO)
    rebuilt = verify.build_env(REPO)
    for env in (staged, rebuilt):
        assert {k: env[k] for k in DETERMINISM} == DETERMINISM
    assert verify.BUILD_ENV is DETERMINISM and BUILD_ENV is DETERMINISM


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_makefile_exports_the_same_values() -> None:
    assert make_exports().split() == [f"{k}={v}" for k, v in DETERMINISM.items()]
    done = subprocess.run(
        ["make", "-pn", "env"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "TZ": "Europe/Oslo"},
        check=False,
    )
    variables = dict(
        line.split(" = ", 1)
        for line in done.stdout.splitlines()
        if " = " in line and line.split(" = ", 1)[0] in DETERMINISM
    )
    assert variables == DETERMINISM
