"""Provenance: every value, table and figure traced to its rule, input checksums and code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from analysis import provenance
from analysis.provenance import TABLE_SOURCES, VARIABLE_SOURCES, sources_for

OUTPUTS = {
    "tallies_study": ["results/tallies/{study}/themes.csv"],
    "assemble": ["results/render/_variables.yml", "results/render/tables"],
}


def test_longest_prefix_and_numbered_parts() -> None:
    assert sources_for("study1.screened", VARIABLE_SOURCES, ".") == ["prisma"]
    assert sources_for("study1.trend.or", VARIABLE_SOURCES, ".") == ["model"]
    assert sources_for("study3.theme2.coverage", VARIABLE_SOURCES, ".") == [
        "s3_themes",
        "s3_coverage_by_group",
    ]
    assert sources_for("s2-quotes-theme3", TABLE_SOURCES, "-") == ["quotations2", "condensates2"]
    with pytest.raises(KeyError, match="no provenance rule for 'study9.x'"):
        sources_for("study9.x", VARIABLE_SOURCES, ".")


def test_producer_matches_wildcards_and_directories() -> None:
    assert provenance.producer("results/tallies/study2/themes.csv", OUTPUTS) == "tallies_study"
    assert provenance.producer("results/render/tables/s1-flow.md", OUTPUTS) == "assemble"
    assert provenance.producer("config/checklists.yaml", OUTPUTS) == "input"


def test_code_version_follows_content_not_time(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("x = 1\n")
    first = provenance.code_version([a], tmp_path)
    a.touch()
    assert provenance.code_version([a], tmp_path) == first
    a.write_text("x = 2\n")
    assert provenance.code_version([a], tmp_path) != first
    assert re.fullmatch(r"sha256:[0-9a-f]{12}", first)


def test_record_and_appendix_list_exactly_what_a_document_uses(tmp_path: Path) -> None:
    themes = tmp_path / "results/tallies/study2/themes.csv"
    themes.parent.mkdir(parents=True)
    themes.write_text("theme,segments\nA,3\n")
    record = provenance.record(
        {"study2": {"themes": "1", "theme1": {"name": "A"}}},
        ["s2-themes"],
        {"fig_s2": str(themes)},
        {"s2_themes": str(themes), "s2_subthemes": str(themes)},
        {"tallies_study": [str(tmp_path / "results/tallies/{study}/themes.csv")]},
        "sha256:000000000000",
    )
    entry = record["variables"]["study2.theme1.name"]
    assert entry["value"] == "A"
    assert entry["inputs"][0]["rule"] == "tallies_study"
    assert entry["inputs"][0]["sha256"] == provenance.sha256_file(themes)
    qmd = "We found {{< var study2.themes >}} theme.\n\n{{< include tables/s2-themes.md >}}\n"
    text = provenance.appendix(qmd, record)
    assert text.startswith('::: {.content-visible when-format="html"}')
    assert "`study2.themes`" in text and "@tbl-s2-themes" in text
    assert "study2.theme1.name" not in text  # not used by this document
    assert "sha256:000000000000" in text


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
def test_every_document_has_a_complete_html_provenance_appendix(built: Path) -> None:
    record = yaml.safe_load((built / "results/render/provenance.json").read_text())
    for doc in ("article1", "article2", "article3", "thesis"):
        qmd = (built / "manuscript" / doc / "index.qmd").read_text(encoding="utf-8")
        keys, tables, figures = provenance.used_by(qmd)
        assert keys and figures
        html = (built / f"results/manuscripts/{doc}.html").read_text(encoding="utf-8")
        appendix = html[html.index('id="sec-appendix-provenance"') :]
        for k in keys:
            assert f"<code>{k}</code>" in appendix, (doc, k)
            for source in record["variables"][k]["inputs"]:
                assert source["sha256"][:12] in appendix
        assert record["code_version"] in appendix
        pdf = " ".join(
            p.extract_text() for p in PdfReader(built / f"results/manuscripts/{doc}.pdf").pages
        )
        assert "Appendix: provenance" not in pdf  # HTML only
    for entry in record["figures"].values():
        assert entry["rule"] in {"figures_study1", "figures_study", "synthesis"}


def test_code_files_are_the_dag_code_only() -> None:
    files = provenance.code_files(Path(__file__).parents[1])
    assert "analysis/stc.py" in files and "workflow/Snakefile" in files
    assert "analysis/filters/crossref.lua" in files and "workflow/rules/render.smk" in files
    assert not set(files) & provenance.OUTSIDE_DAG
    assert not any("__pycache__" in f or f.startswith("tests/") for f in files)
