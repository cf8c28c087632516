"""Staging a document as a complete Quarto project, rendered in one job (analysis.render.stage).

Unit tests stage the fixture project (tests/fixtures/render); the end-to-end test checks the
session build's staged folders.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.render import BANNER_TEXT, RenderError
from analysis.render.stage import missing_files, referenced_files, stage_and_render

ROOT = Path(__file__).parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "render"


def rule_inputs(tmp_path: Path) -> dict[str, str]:
    """The render rule's named inputs, made from the fixture project."""
    source = tmp_path / "manuscript" / "article9"
    source.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "index.qmd", source / "index.qmd")
    record = tmp_path / "provenance.json"
    variables = yaml.safe_load((FIXTURE / "_variables.yml").read_text(encoding="utf-8"))
    record.write_text(
        json.dumps(
            {
                "code_version": "sha256:000000000000",
                "variables": {
                    f"study.{k}": {"value": str(v), "inputs": []}
                    for k, v in variables["study"].items()
                },
                "tables": {"workers": {"rule": "assemble", "inputs": []}},
                "figures": {
                    "contacts.svg": {"file": "f.svg", "rule": "figures", "sha256": "0" * 64}
                },
            }
        ),
        encoding="utf-8",
    )
    return {
        "qmd": str(source / "index.qmd"),
        "quarto": str(FIXTURE / "_quarto.yml"),
        "bib": str(FIXTURE / "references.bib"),
        "csl": str(ROOT / "manuscript" / "apa.csl"),
        "variables": str(FIXTURE / "_variables.yml"),
        "provenance": str(record),
        "tables": str(FIXTURE / "tables"),
        "fig_contacts": str(FIXTURE / "figures" / "contacts.svg"),
        "fig_contacts_png": str(FIXTURE / "figures" / "contacts.png"),
    }


def test_one_job_stages_a_complete_project_and_renders_every_format(tmp_path: Path) -> None:
    out = {
        "folder": str(tmp_path / "results" / "render" / "article9"),
        **{
            fmt: str(tmp_path / "results" / "manuscripts" / f"article9.{fmt}")
            for fmt in ("html", "pdf", "docx")
        },
    }
    stage_and_render(
        rule_inputs(tmp_path), out, formats=["html", "pdf", "docx"], synthetic=True, engine="pandoc"
    )
    folder = Path(out["folder"])
    for name in (
        "index.qmd",
        "_quarto.yml",
        "_variables.yml",
        "references.bib",
        "apa.csl",
        "provenance.md",
        "tables/workers.md",
        "figures/contacts.svg",
        "figures/contacts.png",
        "synthetic_banner.lua",
    ):
        assert (folder / name).is_file(), name
    assert missing_files(folder) == []
    assert "Appendix: provenance" in (folder / "provenance.md").read_text(encoding="utf-8")
    words = json.loads((folder / "wordcount.json").read_text(encoding="utf-8"))
    assert words["document"] == "article9" and 30 < words["words_main_text"] < 80
    config = yaml.safe_load((folder / "_quarto.yml").read_text(encoding="utf-8"))
    assert config["filters"] == ["synthetic_banner.lua"]  # for Quarto users
    assert config["synthetic-banner"] == BANNER_TEXT
    html = Path(out["html"]).read_text(encoding="utf-8")
    assert html.count('class="synthetic-banner"') == 1  # the pandoc engine adds it once
    assert Path(out["pdf"]).read_bytes().startswith(b"%PDF")
    assert Path(out["docx"]).read_bytes().startswith(b"PK")
    assert not list(folder.parent.glob(".*.part"))


def test_referenced_files_follow_includes_images_and_metadata(tmp_path: Path) -> None:
    project = shutil.copytree(FIXTURE, tmp_path / "p")
    assert referenced_files(project) == [
        "_variables.yml",
        "apa.csl",
        "figures/contacts.png",
        "figures/contacts.svg",
        "index.qmd",
        "references.bib",
        "tables/workers.md",
    ]
    assert missing_files(project) == ["apa.csl"]  # the fixture ships without the CSL
    (project / "figures" / "contacts.png").unlink()
    (project / "tables" / "workers.md").write_text("{{< include more.md >}}\n")
    assert missing_files(project) == ["apa.csl", "figures/contacts.png", "tables/more.md"]


def test_a_project_that_is_not_self_contained_fails_naming_the_files(tmp_path: Path) -> None:
    inp = rule_inputs(tmp_path)
    del inp["fig_contacts_png"]
    out = {"folder": str(tmp_path / "render" / "article9"), "html": str(tmp_path / "article9.html")}
    with pytest.raises(RenderError, match=r"lacks figures/contacts\.png"):
        stage_and_render(inp, out, formats=["html"], synthetic=False, engine="pandoc")
    assert not (tmp_path / "render" / "article9").exists()
    assert not (tmp_path / "article9.html").exists()


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_built_staged_folders_are_complete_quarto_projects(built: Path) -> None:
    for doc in ("article1", "article2", "article3", "thesis"):
        folder = built / "results" / "render" / doc
        for name in ("_quarto.yml", "_variables.yml", "index.qmd", "apa.csl", "references.bib"):
            assert (folder / name).is_file(), (doc, name)
        assert (folder / "tables").is_dir() and (folder / "figures").is_dir()
        assert missing_files(folder) == [], doc
