"""Article 1 (the scoping review): its PRISMA-ScR checklist points at what really exists.

The ids are read from the article's source (sections and figures) and from the tables the
pipeline generates for it (``analysis.assemble.study1_tables`` on the committed synthetic
data), so a renamed section, a dropped table or a checklist item pointing nowhere fails here,
in seconds, before any build.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from analysis import assemble, stats, tallies
from analysis.categories import EARLY_STAGES
from analysis.io import read_csv
from analysis.prisma import flow_from_counts
from tests.conftest import REPO

QMD = REPO / "manuscript" / "article1" / "index.qmd"
DATA = REPO / "data" / "synthetic" / "study1"
INCLUDE = re.compile(r"\{\{<\s*include\s+tables/([\w-]+)\.md\s*>\}\}")
HEADING = re.compile(r"(?m)^(#+) (.+?) \{#(sec-[\w-]+)[^}]*\}\s*$")


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def section_bodies(body: str) -> dict[str, str]:
    """Text of each section id, up to the next heading of the same or a higher level."""
    heads = list(HEADING.finditer(body))
    out = {}
    for i, h in enumerate(heads):
        level = len(h.group(1))
        end = next((n.start() for n in heads[i + 1 :] if len(n.group(1)) <= level), len(body))
        out[h.group(3)] = body[h.end() : end]
    return out


@pytest.fixture(scope="module")
def generated_tables() -> dict[str, str]:
    """Study 1's tables, built from the committed synthetic sheet as the DAG builds them."""
    articles = read_csv(DATA / "extraction.csv")
    articles["year"] = articles["year"].astype(int)
    t = {k: v.reset_index(drop=True) for k, v in tallies.study1_tallies(articles).items()}
    involved = stats.any_cocreation(articles["stages"], EARLY_STAGES)
    early = stats.with_wilson(tallies.count_by(involved.to_frame("any"), "any", order=[1]))
    s = {
        "role_ci": stats.with_wilson(t["role"]),
        "stage_ci": stats.with_wilson(t["stage"]),
        "outcomes_ci": stats.with_wilson(t["outcomes"]),
        "role_stage": t["role_stage"],
        "early": early.drop(columns="any").iloc[0].to_dict(),
    }
    return assemble.study1_tables(flow_from_counts(read_csv(DATA / "prisma.csv")), t, s)


@pytest.fixture(scope="module")
def article() -> tuple[dict[str, Any], str]:
    return split_front_matter(QMD.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def ids(article: tuple[dict[str, Any], str], generated_tables: dict[str, str]) -> set[str]:
    """Every id a checklist item may point to: sections, figures, included tables."""
    front, body = article
    found = set(re.findall(r"\{#((?:sec|fig)-[\w-]+)", body))
    for name in INCLUDE.findall(body):
        if name in generated_tables:
            found |= set(re.findall(r"\{#(tbl-[\w-]+)\}", generated_tables[name]))
    found |= {k for k in ("title", "abstract") if front.get(k)}
    return found


@pytest.fixture(scope="module")
def checklist() -> dict[str, list[str]]:
    spec = yaml.safe_load((REPO / "config/checklists.yaml").read_text(encoding="utf-8"))
    block = spec["prisma-scr"]
    assert block["document"] == "article1"
    return {str(it["item"]): list(it["where"]) for it in block["items"]}


def test_checklist_has_the_22_prisma_scr_items(checklist: dict[str, list[str]]) -> None:
    assert list(checklist) == [str(i) for i in range(1, 23)]


def test_every_item_points_to_an_existing_id(
    checklist: dict[str, list[str]], ids: set[str]
) -> None:
    for item, where in checklist.items():
        assert where, f"PRISMA-ScR item {item} points nowhere"
        missing = [w for w in where if w not in ids]
        assert not missing, f"PRISMA-ScR item {item}: not in article1: {missing}"


def test_item_12_points_to_a_section_that_says_no_appraisal_and_why(
    checklist: dict[str, list[str]], article: tuple[dict[str, Any], str]
) -> None:
    assert checklist["12"] == ["sec-appraisal"] and checklist["16"] == ["sec-appraisal"]
    text = " ".join(section_bodies(article[1])["sec-appraisal"].split()).lower()
    assert "no critical appraisal" in text
    assert "scoping review" in text and "purpose" in text  # the reason


def test_item_17_points_to_the_table_of_all_sources(
    checklist: dict[str, list[str]], generated_tables: dict[str, str]
) -> None:
    assert "tbl-s1-sources" in checklist["17"]
    table = generated_tables["s1-sources"]
    assert "SYNTHETIC" in table.split("{#tbl-s1-sources}")[0]  # labelled in the caption
    rows = [line for line in table.splitlines() if line.startswith("| S1-")]
    sheet = read_csv(DATA / "extraction.csv")
    assert [r.split("|")[1].strip() for r in rows] == sorted(sheet["article_id"])
    header = table.splitlines()[0]
    for column in ("Year", "Country", "Design", "Setting", "Role category", "Stages"):
        assert column in header


def test_count_tables_show_n_and_percent_and_no_interval(generated_tables: dict[str, str]) -> None:
    for name in ("s1-characteristics", "s1-roles", "s1-stages", "s1-outcomes"):
        header = [c.strip() for c in generated_tables[name].splitlines()[0].split("|")]
        assert "n" in header and "%" in header, name
        assert "CI" not in generated_tables[name] and "Wilson" not in generated_tables[name]
    assert "s1-trend" not in generated_tables


def test_the_article_reports_no_interval_or_trend(article: tuple[dict[str, Any], str]) -> None:
    body = article[1]
    assert ".ci >}}" not in body and "study1.trend" not in body
    assert "confidence interval" not in body.split("# Results")[1].lower()


def test_published_title_and_keywords(article: tuple[dict[str, Any], str]) -> None:
    front, _ = article
    assert front["title"] == (
        "Peer workers in co-production and co-creation in mental health "
        "and substance use services: A scoping review"
    )
    keywords = [
        "Peer workers",
        "Mental health and substance use services",
        "Co-production",
        "Co-creation",
        "Service transformation",
        "Boundary spanning",
    ]
    assert "; ".join(keywords) in " ".join(front["abstract"].split())


def test_apparatus_sections_exist(article: tuple[dict[str, Any], str]) -> None:
    found = set(section_bodies(article[1]))
    for sid in (
        "sec-introduction",
        "sec-theory",
        "sec-aims",
        "sec-methods",
        "sec-eligibility",
        "sec-information-sources",
        "sec-search",
        "sec-selection-process",
        "sec-charting",
        "sec-data-items",
        "sec-appraisal",
        "sec-synthesis-methods",
        "sec-results",
        "sec-discussion",
        "sec-limitations",
        "sec-conclusion",
        "sec-ethics",
        "sec-funding",
        "sec-competing",
        "sec-contributions",
        "sec-data-availability",
        "sec-appendix-sources",
        "sec-appendix-prisma-scr",
    ):
        assert sid in found, sid


def test_cites_nothing_written_after_the_article(article: tuple[dict[str, Any], str]) -> None:
    """Published online November 2022: the 2023 and later studies of the thesis came later."""
    text = article[1]
    for key in ("akerblom2024thesis", "akerblom2023managers", "akerblom2025empowered"):
        assert f"@{key}" not in text, key


def test_section_parser_stops_at_the_next_heading() -> None:
    body = "# A {#sec-a}\n\none\n\n## B {#sec-b}\n\ntwo\n\n# C {#sec-c}\n\nthree\n"
    parts = section_bodies(body)
    assert "two" in parts["sec-a"] and "three" not in parts["sec-a"]
    assert parts["sec-b"].strip() == "two"
    assert list(parts) == ["sec-a", "sec-b", "sec-c"]
