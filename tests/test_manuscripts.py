"""The manuscripts compute nothing and type no number where results are reported."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.conftest import REPO

DOCS = ("article1", "article2", "article3", "thesis")
SHORTCODE = re.compile(r"\{\{<.*?>\}\}", re.S)
CITATION = re.compile(r"\[?-?@[\w:.#$%&\-+?<>~/]+\]?")
ATTRIBUTES = re.compile(r"\{[#.][^}]*\}")
LINK_TARGET = re.compile(r"\]\([^)]*\)")


def sections(text: str, heading: str) -> list[str]:
    """Bodies of the level-1 sections whose heading starts with ``heading``."""
    parts = re.split(r"(?m)^# ", text)
    return [p for p in parts[1:] if p.lower().startswith(heading.lower())]


def hand_typed_numbers(text: str) -> list[str]:
    """Digits left once shortcodes, citations, cross-refs, ids and link targets are removed."""
    for pattern in (SHORTCODE, LINK_TARGET, ATTRIBUTES, CITATION):
        text = pattern.sub(" ", text)
    return re.findall(r"[^\n]{0,30}\d[^\n]{0,30}", text)


@pytest.mark.parametrize("doc", DOCS)
def test_results_hold_no_hand_typed_number(doc: str) -> None:
    text = (REPO / "manuscript" / doc / "index.qmd").read_text(encoding="utf-8")
    results = sections(text, "Results")
    assert results, f"{doc} has no '# Results' section"
    found = [hit for body in results for hit in hand_typed_numbers(body)]
    assert not found, f"{doc}: numbers typed by hand in Results: {found}"


def test_the_digit_rule_catches_a_typed_number() -> None:
    assert hand_typed_numbers("We included 172 articles {{< var study1.included >}}.")
    assert not hand_typed_numbers("We included {{< var study1.included >}} (@tbl-s1-roles).")


def test_every_checklist_item_points_to_an_existing_section() -> None:
    checklists = yaml.safe_load((REPO / "config/checklists.yaml").read_text(encoding="utf-8"))
    for name, spec in checklists.items():
        qmd = (REPO / "manuscript" / spec["document"] / "index.qmd").read_text(encoding="utf-8")
        ids = set(re.findall(r"\{#((?:sec|fig)-[\w-]+)", qmd)) | {"title", "abstract"}
        # a generated table named tables/NAME.md carries the id tbl-NAME (analysis.assemble)
        ids |= {f"tbl-{n}" for n in re.findall(r"\{\{< include tables/([\w-]+)\.md", qmd)}
        doc = spec["document"]
        wheres = [
            it["where"].get(doc, []) if isinstance(it["where"], dict) else it["where"]
            for it in spec["items"]
        ]
        missing = [w for where in wheres for w in where if w not in ids]
        assert not missing, f"{name}: sections not in {spec['document']}: {missing}"
        assert f"tables/{name}.md" in qmd, f"{spec['document']} does not include its {name}"


@pytest.mark.parametrize("doc", ("article2", "article3"))
def test_qualitative_articles_include_reliability_quotations_and_coreq(doc: str) -> None:
    """Issues #4 and #10: the coding audit in an appendix (not the methods), the STC report
    of every theme in the results, the COREQ appendix."""
    text = (REPO / "manuscript" / doc / "index.qmd").read_text(encoding="utf-8")
    prefix = doc.replace("article", "s")
    assert f"tables/{prefix}-reliability.md" not in sections(text, "Methods")[0]
    assert f"tables/{prefix}-reliability.md" in "".join(sections(text, "Appendix"))
    results = sections(text, "Results")[0]
    for i in (1, 2, 3):
        assert f"tables/{prefix}-quotes-theme{i}.md" in results
    assert f"tables/coreq-{doc}.md" in text
