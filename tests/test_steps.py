"""Every step module (analysis/steps/<stage>.py) driven without Snakemake, in seconds.

One chain runs the steps in DAG order on the committed synthetic inputs in a temporary
folder (the rules' own relative paths, from :mod:`analysis.layout`), once per module; each
test checks one stage's real outputs. Notebook and render steps run one small case each.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis import privacy as privacy_policy
from analysis.categories import FIGURE_TEXT
from analysis.layout import (
    DOCUMENTS,
    QUAL_STUDIES,
    assemble_inputs,
    figure_inputs,
)
from analysis.steps import clean, privacy, render, verify
from compendium import floor
from tests.conftest import REPO

STEP_MODULES = (
    "clean",
    "privacy",
    "tallies",
    "stats",
    "figures",
    "synthesis",
    "notebooks",
    "render",
    "verify",
)
FIGURES = figure_inputs()


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The steps in DAG order on the synthetic data (:func:`compendium.floor.analysis_steps`),
    in a folder laid out like ``.build``."""
    root = tmp_path_factory.mktemp("steps")
    for name in ("analysis", "workflow", "config", "data", "manuscript", "notebooks"):
        shutil.copytree(
            REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "private")
        )
    with floor.inside(root):
        floor.analysis_steps()
    return root


@pytest.fixture
def at(chain: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run a test inside the chain's folder (the steps take the rules' relative paths)."""
    monkeypatch.chdir(chain)
    return chain


def test_every_rule_file_has_its_step_module_and_scripts_import_only_it() -> None:
    rules = sorted(p.stem for p in (REPO / "workflow/rules").glob("*.smk")) + ["notebooks"]
    for stem in set(rules) - {"common"}:
        assert (REPO / f"analysis/steps/{stem}.py").is_file(), stem
    for script in (REPO / "workflow/scripts").glob("[!_]*.py"):
        imports = [
            line
            for line in script.read_text().splitlines()
            if line.startswith(("import ", "from "))
        ]
        # _repo first: the package of the tree the job runs in (--use-conda jobs lack it)
        assert imports[0].startswith("import _repo "), script.name
        assert imports[1] == "from analysis.rule import run", script.name
        assert imports[2].startswith("from analysis.steps.") and len(imports) == 3, script.name
        assert imports[2].split()[1].removeprefix("analysis.steps.") in STEP_MODULES


@pytest.mark.parametrize("module", ["analysis", *(f"analysis.steps.{m}" for m in STEP_MODULES)])
def test_importing_a_step_module_loads_no_heavy_library(module: str) -> None:
    """A job's fixed cost: the heavy libraries load inside the steps that use them."""
    heavy = (
        "statsmodels",
        "scipy",
        "matplotlib",
        "nbclient",
        "nbconvert",
        "lxml",
        "pandas",
        "jsonschema",
        "phonenumbers",
        "krippendorff",
        "pypandoc",
        "typst",
    )
    code = f"import sys, {module}; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert done.stdout.strip() == "[]", f"{module} imports {done.stdout.strip()}"


def test_clean_writes_sorted_tidy_tables_and_chooses_the_input_format(at: Path) -> None:
    articles = pd.read_csv("results/clean/study1_articles.csv", dtype=str)
    assert list(articles["article_id"]) == sorted(articles["article_id"])
    assert clean.study_input_keys({"qdpx": "x.qdpx"}) == ["qdpx"]
    assert clean.study_input_keys({"participants": "p", "codebook": "c", "segments": "s"}) == [
        "participants",
        "codebook",
        "segments",
    ]
    for study in QUAL_STUDIES:
        segs = pd.read_csv(f"results/clean/{study}_segments.csv", dtype=str)
        assert list(segs["segment_id"]) == sorted(segs["segment_id"]) and len(segs) > 0
        codings = pd.read_csv(f"results/clean/{study}_codings.csv", dtype=str)
        assert set(segs["segment_id"]) <= set(codings["unit_id"])
    smap = pd.read_csv("results/clean/stage_map.csv", dtype=str)
    assert set(smap["study"]) == set(QUAL_STUDIES)


def test_clean_from_csv_sheets_gives_the_same_tables(at: Path, tmp_path: Path) -> None:
    """The CSV path: the clean qdpx tables written back as sheets read the same."""
    study = QUAL_STUDIES[0]
    sheets = {k: f"results/clean/{study}_{k}.csv" for k in clean.CSV_KEYS}
    out = {k: str(tmp_path / f"{k}.csv") for k in (*clean.CSV_KEYS, "codings")}
    clean.clean_study_step(sheets, out)
    for k in clean.CSV_KEYS:
        assert Path(out[k]).read_bytes() == Path(sheets[k]).read_bytes(), k


def test_privacy_gate_passes_clean_data_and_stops_on_an_identifier(
    at: Path, tmp_path: Path
) -> None:
    """The gate scans the raw inputs (what rules/privacy.smk hands over)."""
    inp = {
        "study1_extraction": "data/synthetic/study1/extraction.csv",
        "study1_prisma": "data/synthetic/study1/prisma.csv",
        **{f"{s}_qdpx": f"data/synthetic/{s}/{s}.qdpx" for s in QUAL_STUDIES},
        "stage_map": "data/synthetic/stage-map.csv",
    }
    privacy.privacy_step(inp, {"record": str(tmp_path / "gate.json")})
    record = json.loads((tmp_path / "gate.json").read_text())
    assert set(record["files"]) == set(inp.values()) and record["status"] == "pass"
    sheet = pd.read_csv(inp["stage_map"], dtype=str, keep_default_na=False)
    sheet.loc[0, "subtheme"] += " skriv til kari.nordmann@example.no"
    bad = tmp_path / "stage-map.csv"
    sheet.to_csv(bad, index=False)
    with pytest.raises(privacy_policy.PrivacyError):
        privacy.privacy_step({**inp, "stage_map": str(bad)}, {"record": str(tmp_path / "b.json")})
    assert not (tmp_path / "b.json").exists()


def test_tallies_and_quotations(at: Path) -> None:
    role = pd.read_csv("results/tallies/study1/role.csv")
    assert {"n", "total"} <= set(role.columns) and role["n"].sum() > 0
    for study in QUAL_STUDIES:
        themes = pd.read_csv(f"results/tallies/{study}/themes.csv")
        segs = pd.read_csv(f"results/clean/{study}_segments.csv", dtype=str)
        assert themes.select_dtypes("number").iloc[:, 0].sum() == len(segs)
        assert len(pd.read_csv(f"results/tallies/{study}/quotations.csv")) > 0
        assert len(pd.read_csv(f"results/tallies/{study}/condensates.csv")) > 0


def test_stats_intervals_trend_and_reliability(at: Path) -> None:
    ci = pd.read_csv("results/stats/study1/role_ci.csv")
    assert (ci["ci_low"] <= 100 * ci["n"] / ci["total"]).all()
    assert (100 * ci["n"] / ci["total"] <= ci["ci_high"]).all()
    model = json.loads(Path("results/stats/study1/model.json").read_text())
    assert model["trend"]["converged"] and model["early"]["ci_low"] >= 0
    for study in QUAL_STUDIES:
        assert not Path(f"results/stats/{study}/group_theme_test.json").exists()  # no test
        rel = json.loads(Path(f"results/stats/{study}/reliability.json").read_text())
        assert rel["unit_of_analysis"]


def test_figures_carry_the_vocabularys_titles(at: Path) -> None:
    for name in (
        "s1-prisma-flow",
        "s1-role-stage",
        "s1-years",
        *(f"{s}-groups" for s in QUAL_STUDIES),
    ):
        svg = Path(f"results/figures/{name}.svg").read_text()
        assert svg.startswith("<?xml") and "<svg" in svg
        assert Path(f"results/figures/{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert set(FIGURE_TEXT) >= {
        "s1-role-stage",
        "s1-years",
        "synthesis",
        *(f"{s}-groups" for s in QUAL_STUDIES),
    }


def test_synthesis_shares_add_up(at: Path) -> None:
    shares = pd.read_csv("results/synthesis/shares.csv").set_index("stage")
    assert ((shares.sum() - 100).abs() < 0.5).all()


def test_assemble_provenance_and_staging(at: Path) -> None:
    variables = yaml.safe_load(Path("results/render/_variables.yml").read_text())
    assert {"data", "study1", *QUAL_STUDIES, "synthesis", "nb"} <= set(variables)
    assert Path("results/render/tables/s2-hierarchy.md").is_file()
    code = [str(p) for p in Path("analysis").rglob("*.py")]
    render.provenance_step(
        {
            "variables": "results/render/_variables.yml",
            "tables": "results/render/tables",
            "code": code,
            **{f"in_{k}": v for k, v in assemble_inputs().items()},
            **FIGURES,
        },
        {"record": "results/render/provenance.json"},
        outputs={"assemble": ["results/render/_variables.yml", "results/render/tables"]},
    )
    record = json.loads(Path("results/render/provenance.json").read_text())
    assert record["code_version"].startswith("sha256:")
    doc = DOCUMENTS[1]
    render.render_step(
        {
            "qmd": f"manuscript/{doc}/index.qmd",
            "quarto": "manuscript/_quarto.yml",
            "bib": "manuscript/references.bib",
            "csl": "manuscript/apa.csl",
            "variables": "results/render/_variables.yml",
            "provenance": "results/render/provenance.json",
            "tables": "results/render/tables",
            **FIGURES,
        },
        {"folder": f"results/render/{doc}", "html": f"results/manuscripts/{doc}.html"},
        formats=["html"],
        synthetic=True,
        engine="pandoc",
    )
    staged = Path(f"results/render/{doc}")
    assert (staged / "index.qmd").read_bytes() == Path(f"manuscript/{doc}/index.qmd").read_bytes()
    assert "Appendix: provenance" in (staged / "provenance.md").read_text()
    assert (staged / "figures" / "s2-groups.svg").exists() or (
        staged / "figures" / "study2-groups.svg"
    ).exists()
    assert "<html" in Path(f"results/manuscripts/{doc}.html").read_text()


def test_run_record(at: Path, tmp_path: Path) -> None:
    out = {"config": str(tmp_path / "config.yaml"), "software": str(tmp_path / "sw.csv")}
    verify.run_record_step({}, out, config={"mode": "synthetic"})
    sw = pd.read_csv(out["software"], dtype=str)
    assert sw["software"].iloc[0].startswith("pandoc") and "pandas" in set(sw["software"])
    assert yaml.safe_load(Path(out["config"]).read_text()) == {"mode": "synthetic"}


def test_notebook_step_executes_with_injected_paths(at: Path, tmp_path: Path) -> None:
    from analysis.steps.notebooks import notebook_step

    out = {"ipynb": str(tmp_path / "s.ipynb"), "html": str(tmp_path / "s.html")}
    notebook_step(
        {
            "notebook": "notebooks/synthesis.ipynb",
            "matrix": "results/synthesis/matrix.csv",
            "shares": "results/synthesis/shares.csv",
        },
        out,
        synthetic=True,
    )
    nb = json.loads(Path(out["ipynb"]).read_text())
    assert nb["cells"][0]["id"] == "synthetic-banner"
    assert not any(
        o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", [])
    )
    assert "SYNTHETIC DATA" in Path(out["html"]).read_text()
