"""The distribution and the citation metadata a reuser relies on.

The wheel test builds with setuptools' PEP 517 hooks from the locked environment (offline, no
build isolation) in a scratch copy, unpacks the wheel and imports the package from it in a
fresh interpreter, so a non-editable install is shown to carry its Lua filters and XSD.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import jsonschema
import yaml

from tests.conftest import REPO

CFF_SCHEMA = REPO / "tests" / "fixtures" / "citation" / "cff-1.2.0.schema.json"


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, src / name)
    for pkg in ("analysis", "compendium"):
        if (REPO / pkg).is_dir():
            shutil.copytree(
                REPO / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
    dist = tmp_path / "dist"
    code = f"from setuptools import build_meta as b; print(b.build_wheel({str(dist)!r}))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=src, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return dist / result.stdout.strip().splitlines()[-1]


def test_wheel_carries_filters_and_schema_and_imports(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    lua = sorted(n for n in names if n.endswith(".lua"))
    assert {Path(n).name for n in lua} == {p.name for p in (REPO / "analysis").rglob("*.lua")}
    assert any(n.endswith("Project-mrt2019.xsd") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import importlib.resources as r, analysis, sys;"
        "root = r.files('analysis');"
        "assert str(analysis.__file__).startswith(sys.argv[1]), analysis.__file__;"
        "assert root.joinpath('data/Project-mrt2019.xsd').is_file();"
        "print(sorted(p.name for p in root.joinpath('filters').iterdir()))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(site)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "synthetic_banner.lua" in result.stdout


def test_citation_cff_is_valid_and_matches_the_project() -> None:
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(cff, schema)
    project = _pyproject()["project"]
    assert cff["version"] == project["version"]
    assert cff["license"] == project["license"]
    dois = {ref.get("doi") for ref in cff["references"]}
    assert dois == {
        url.removeprefix("https://doi.org/")
        for key, url in project["urls"].items()
        if key.startswith("Paper")
    }


def test_codemeta_matches_the_project() -> None:
    meta = json.loads((REPO / "codemeta.json").read_text(encoding="utf-8"))
    project = _pyproject()["project"]
    assert meta["name"] == project["name"]
    assert meta["version"] == project["version"]
    assert meta["license"].endswith("/" + project["license"])
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
