"""Studies 2 and 3 reported as systematic text condensation (issue #10, item 2).

Per subgroup a condensate and two to four quotations, each credited to a speaker whose role
the phrase allows (a mismatch stops the build), and no hypothesis test or reliability
statistic in the main text of articles 2 and 3: the coding audit lives in an appendix.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from analysis import assemble_stc, synthetic
from analysis.quotations import MAX_QUOTES, MIN_QUOTES, check_speakers, condensation_report
from analysis.stc import coded_study_from_qdpx
from analysis.validate import InputError, StudyTables, read_table, schema_path
from tests.conftest import REPO

DATA = REPO / "data" / "synthetic"
STUDIES = ("study2", "study3")
NOUN = {"study2": ("managers", "focus group"), "study3": ("participants", "participant group")}
FORBIDDEN = re.compile(
    r"χ|\bchi-square|\bchi2\b|Fisher|κ|kappa|Cohen|Fleiss|Krippendorff|α|"
    r"p-value|\*p\* =|test of association|intercoder",
    re.I,
)
INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")
VAR = re.compile(r"\{\{<\s*var\s+(\S+)\s*>\}\}")
CITATION = re.compile(r"@[\w:.-]+")  # citation keys are not text: @nabatchi2017varieties


@cache
def bank() -> pd.DataFrame:
    return read_table(DATA / "stc-bank.csv", schema_path("stc_bank"))


@cache
def study(name: str) -> StudyTables:
    return coded_study_from_qdpx(DATA / name / f"{name}.qdpx").tables


@cache
def report(name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    t = study(name)
    return condensation_report(
        t.segments, t.participants, t.codebook, bank()[bank()["study"] == name], "group"
    )


def allowed(name: str) -> dict[tuple[str, str, str, str], set[str]]:
    b = bank()
    b = b[(b["study"] == name) & (b["kind"] == "phrase")]
    return {
        (r.theme, r.subtheme, r.code, r.text): set(r.speakers.split("; "))
        for r in b.itertuples(index=False)
    }


# ------------------------------------------------------------------ the generated data


@pytest.mark.parametrize("name", STUDIES)
def test_every_meaning_unit_is_spoken_by_a_role_its_phrase_allows(name: str) -> None:
    """On the generated data: the generator gave each phrase only to an allowed role."""
    t = study(name)
    role = dict(zip(t.participants["participant_id"], t.participants["role"], strict=True))
    ok = allowed(name)
    wrong = [
        (u.segment_id, role[u.participant_id])
        for u in t.segments.itertuples()
        if role[u.participant_id] not in ok[(u.theme, u.subtheme, u.code, u.text)]
    ]
    assert not wrong, wrong[:5]


def test_study3_peer_workers_voice_their_own_lines_only() -> None:
    """The article-3 misattribution: a peer worker's first-person line said by a manager."""
    ok = allowed("study3")
    mine = [k for k, roles in ok.items() if k[3].startswith("My job description")]
    assert mine and all(ok[k] == {"peer worker"} for k in mine)
    t = study("study3")
    speakers = t.segments.merge(t.participants, on="participant_id")
    said = speakers.loc[speakers["text"].str.startswith("My job description"), "role"]
    assert not said.empty and set(said) == {"peer worker"}


@pytest.mark.parametrize("name", STUDIES)
def test_quotations_name_an_allowed_speaker_and_its_group(name: str) -> None:
    condensates, quotes = report(name)
    ok = allowed(name)
    for q in quotes.itertuples(index=False):
        assert q.role in ok[(q.theme, q.subtheme, q.code, q.text)], q
        assert q.group.lower() in q.quote_label.lower(), q  # the speaker's group is named
    per_sub = quotes.groupby(["theme", "subtheme"], sort=False).size()
    assert per_sub.between(MIN_QUOTES, MAX_QUOTES).all(), per_sub
    subs = list(
        dict.fromkeys(
            zip(study(name).codebook["theme"], study(name).codebook["subtheme"], strict=True)
        )
    )
    assert list(zip(condensates["theme"], condensates["subtheme"], strict=True)) == subs
    assert condensates["condensate"].str.len().gt(40).all()
    assert not quotes["text"].duplicated().any()


def test_a_speaker_of_a_role_the_phrase_does_not_allow_fails_with_a_clear_message() -> None:
    t = study("study3")
    segs = t.segments.copy()
    i = segs.index[segs["text"].str.startswith("My job description")][0]
    segs.loc[i, "participant_id"] = "MG01"  # a manager now "says" a peer worker's line
    with pytest.raises(InputError) as err:
        check_speakers(
            segs,
            t.participants,
            bank()[bank()["study"] == "study3"],
            "results/clean/study3_segments.csv",
        )
    text = str(err.value)
    assert "results/clean/study3_segments.csv" in text and f"row {i + 2}" in text
    assert "MG01, a manager" in text and "allows (peer worker)" in text
    assert "My job description" not in text  # input text is masked in messages
    with pytest.raises(InputError, match="MG01, a manager"):
        condensation_report(
            segs, t.participants, t.codebook, bank()[bank()["study"] == "study3"], "group"
        )


def test_a_subgroup_without_condensate_fails() -> None:
    t = study("study2")
    b = bank()[bank()["study"] == "study2"]
    b = b.drop(index=b.index[b["kind"] == "condensate"][0])
    with pytest.raises(InputError, match="a condensate row for subgroup"):
        condensation_report(t.segments, t.participants, t.codebook, b, "group")


def test_the_generator_refuses_a_phrase_without_speakers() -> None:
    params, codebooks = synthetic.load_parameters(
        REPO / "config/synthetic.yaml", REPO / "config/synthetic-codebooks.yaml"
    )
    codebooks["study3"][0]["subthemes"][0]["codes"][0]["phrases"][0].pop("roles")
    with pytest.raises(ValueError, match="non-empty list of `roles`"):
        synthetic.generate(params, codebooks)
    codebooks["study3"][0]["subthemes"][0]["codes"][0]["phrases"][0]["roles"] = ["director"]
    with pytest.raises(ValueError, match=r"roles \['director'\] are not participant roles"):
        synthetic.generate(params, codebooks)


# ------------------------------------------------------------------ the fragments


def subgroup_blocks(fragment: str) -> list[str]:
    return [b for b in re.split(r"(?m)^### ", fragment)[1:]]


@pytest.mark.parametrize("name", STUDIES)
def test_fragments_hold_a_condensate_tally_and_two_to_four_quotations(name: str) -> None:
    condensates, quotes = report(name)
    blocks = assemble_stc.quotation_blocks(condensates, quotes, "Rule.", True, *NOUN[name])
    assert sorted(blocks) == [0, 1, 2, 3]
    subs = [b for i in (1, 2, 3) for b in subgroup_blocks(blocks[i])]
    assert [b.split(" {.unnumbered}")[0] for b in subs] == list(condensates["subtheme"])
    for b in subs:
        assert b.count("*Condensate (synthetic, written for this compendium):*") == 1, b
        assert re.search(r"Voiced by \d+ of \d+ " + NOUN[name][0], b), b
        n = b.count("\n> — ")
        assert MIN_QUOTES <= n <= MAX_QUOTES and b.count("(synthetic meaning unit)") == n, b
    real = assemble_stc.quotation_blocks(condensates, quotes, "Rule.", False, *NOUN[name])
    assert "synthetic" not in real[1]


# ------------------------------------------------------------------ the articles


def main_text(doc: str) -> str:
    """The article before its references and appendices."""
    text = (REPO / "manuscript" / doc / "index.qmd").read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1] if text.startswith("---") else text
    return re.split(r"(?m)^# (?:References|Appendix)", body)[0]


@pytest.mark.parametrize("doc", ("article2", "article3"))
def test_main_text_sources_hold_no_test_or_reliability_statistic(doc: str) -> None:
    text = main_text(doc)
    front = (REPO / "manuscript" / doc / "index.qmd").read_text(encoding="utf-8")
    abstract = front.split("\n---\n", 1)[0]
    for part in (text, abstract):
        bare = CITATION.sub(" ", VAR.sub(" ", INCLUDE.sub(" ", part)))
        assert not FORBIDDEN.findall(bare), FORBIDDEN.findall(bare)
    keys = VAR.findall(text + abstract)
    assert not [k for k in keys if ".reliability" in k or ".test." in k], keys
    includes = INCLUDE.findall(text)
    assert not [i for i in includes if "reliability" in i], includes
    prefix = doc.replace("article", "s")
    assert all(f"tables/{prefix}-quotes-theme{i}.md" in includes for i in (1, 2, 3))
    assert re.search(r"(?m)^# Appendix[^\n]*coding", front, re.I), "no coding-audit appendix"


def test_the_forbidden_pattern_catches_a_test() -> None:
    assert FORBIDDEN.search("tested with the Fisher–Freeman–Halton test")
    assert FORBIDDEN.search("Cohen's κ 0.81")
    assert not FORBIDDEN.search("Voiced by 12 of 17 managers, in every focus group")
    assert FORBIDDEN.search("a chi2 of 3.1") and not FORBIDDEN.search("nabatchi2017varieties")


@pytest.mark.slow
@pytest.mark.xdist_group("e2e")
@pytest.mark.parametrize("doc", ("article2", "article3"))
def test_built_main_text_with_its_fragments_has_no_test_or_kappa(built: Path, doc: str) -> None:
    """The staged document, every include of its main text expanded from the build."""
    staged = built / "results" / "render" / doc
    text = main_text(doc)
    for inc in INCLUDE.findall(text):
        fragment = (staged / inc).read_text(encoding="utf-8")
        assert not FORBIDDEN.findall(fragment), (inc, FORBIDDEN.findall(fragment))
    prefix = doc.replace("article", "s")
    name = {"s2": "study2", "s3": "study3"}[prefix]
    quotes = pd.read_csv(built / "results" / "tallies" / name / "quotations.csv")
    ok = allowed(name)
    assert all(
        q.role in ok[(q.theme, q.subtheme, q.code, q.text)] for q in quotes.itertuples(index=False)
    )
