"""REFI-QDA projects to systematic-text-condensation tables, and quotation labels.

The quotation rule and the speaker check are tested in tests/test_stc_reporting.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.qdpx import stable_guid, write_qdpx
from analysis.quotations import quote_label
from analysis.stc import coded_study_from_qdpx
from analysis.validate import InputError

TEXT = "P1: Vi ble sett.\nP2: Det hjalp oss.\nP1: Jeg fikk en jobb.\n"


def gid(*parts: object) -> str:
    return stable_guid("test-stc", *parts)


def span(fragment: str) -> tuple[int, int]:
    start = TEXT.index(fragment)
    return start, start + len(fragment)


def project(
    tmp: Path,
    *,
    codebook: list[tuple[str, str, str]] | None = None,
    codings: list[tuple[str, str, str]] | None = None,
    cases: pd.DataFrame | None = None,
) -> Path:
    """A focus group of two speakers; codings are (fragment, code name, coder)."""
    codebook = codebook or [
        ("T", "", "Theme"),
        ("S", "T", "Subgroup"),
        ("C1", "S", "Seen"),
        ("C2", "S", "Helped"),
    ]
    cb = pd.DataFrame(
        {
            "code_id": [gid(c) for c, _, _ in codebook],
            "name": [n for _, _, n in codebook],
            "parent_id": [gid(p) if p else "" for _, p, _ in codebook],
            "codable": [True] * len(codebook),
        }
    )
    codings = codings or [
        ("Vi ble sett.", "C1", "A"),
        ("Det hjalp oss.", "C2", "A"),
        ("Jeg fikk en jobb.", "C2", "A"),
        ("Vi ble sett.", "C1", "B"),
        ("Det hjalp oss.", "C1", "B"),
    ]
    rows = [
        {
            "selection_id": gid("sel", frag),
            "source_id": gid("src"),
            "start": span(frag)[0],
            "end": span(frag)[1],
            "code_id": gid(code),
            "coder": coder,
        }
        for frag, code, coder in codings
    ]
    if cases is None:
        cases = pd.DataFrame(
            {
                "case_id": [gid("case", 1), gid("case", 2)],
                "name": ["P1", "P2"],
                "label": ["Manager 1", "Manager 2"],
                "role": ["manager", "manager"],
                "group": ["FG1", "FG1"],
                "session": ["FG1", "FG1"],
                "service_level": ["municipal", "specialist"],
                "selection_ids": [
                    f"{gid('sel', 'Vi ble sett.')};{gid('sel', 'Jeg fikk en jobb.')}",
                    gid("sel", "Det hjalp oss."),
                ],
            }
        )
    return write_qdpx(
        tmp / "p.qdpx",
        codebook=cb,
        sources=pd.DataFrame({"source_id": [gid("src")], "name": ["FG1"], "text": [TEXT]}),
        codings=pd.DataFrame(rows),
        cases=cases,
    )


def test_project_becomes_participants_codebook_segments_and_codings(tmp_path: Path) -> None:
    coded = coded_study_from_qdpx(project(tmp_path))
    t = coded.tables
    assert t.participants["participant_id"].tolist() == ["P1", "P2"]
    assert t.codebook[["theme", "subtheme", "code"]].values.tolist() == [
        ["Theme", "Subgroup", "Seen"],
        ["Theme", "Subgroup", "Helped"],
    ]
    seg = t.segments.set_index("text")
    assert set(seg["coder"]) == {"A"}  # the coder of every unit is the primary coder
    assert seg.loc["Det hjalp oss.", "participant_id"] == "P2"  # owned by SelectionRef
    assert seg.loc["Jeg fikk en jobb.", "code"] == "Helped"
    assert len(coded.codings) == 5 and set(coded.codings["coder"]) == {"A", "B"}


def test_interview_cases_own_their_source(tmp_path: Path) -> None:
    cases = pd.DataFrame(
        {
            "case_id": [gid("case", 1)],
            "name": ["P1"],
            "label": ["Peer worker 1"],
            "role": ["peer worker"],
            "group": ["peer worker"],
            "session": ["INT01"],
            "service_level": ["municipal"],
            "source_ids": [gid("src")],
        }
    )
    coded = coded_study_from_qdpx(project(tmp_path, cases=cases))
    assert set(coded.tables.segments["participant_id"]) == {"P1"}


def test_every_problem_names_the_element(tmp_path: Path) -> None:
    """Wrong level, a unit nobody owns and a bad case value, reported together."""
    codebook = [
        ("T", "", "Theme"),
        ("S", "T", "Subgroup"),
        ("C1", "S", "Seen"),
        ("C2", "S", "Helped"),
        ("D", "C2", "Too deep"),
    ]
    cases = pd.DataFrame(
        {
            "case_id": [gid("case", 1)],
            "name": ["P1"],
            "label": ["Manager 1"],
            "role": ["boss"],
            "group": ["FG1"],
            "session": ["FG1"],
            "service_level": ["municipal"],
            "selection_ids": [gid("sel", "Vi ble sett.")],
        }
    )
    codings = [("Vi ble sett.", "S", "A"), ("Det hjalp oss.", "C2", "A")]
    with pytest.raises(InputError) as excinfo:
        coded_study_from_qdpx(project(tmp_path, codebook=codebook, codings=codings, cases=cases))
    text = str(excinfo.value)
    assert f"Code {gid('D')}" in text and "depth 4" in text
    assert f"Case {gid('case', 1)}" in text and '"b•••"' in text
    assert "not a code group" in text and gid("sel", "Vi ble sett.") in text
    assert f"PlainTextSelection {gid('sel', 'Det hjalp oss.')}" in text and "no Case" in text
    assert all(str(tmp_path / "p.qdpx") in line for line in text.splitlines()[1:])


def test_missing_case_variable_is_named(tmp_path: Path) -> None:
    cases = pd.DataFrame(
        {
            "case_id": [gid("case", 1)],
            "name": ["P1"],
            "role": ["manager"],
            "group": ["FG1"],
            "session": ["FG1"],
            "source_ids": [gid("src")],
        }
    )
    with pytest.raises(InputError, match="no variable named 'service_level'"):
        coded_study_from_qdpx(project(tmp_path, cases=cases))


def test_quote_label_does_not_repeat_the_group() -> None:
    assert quote_label("Peer worker 2", "peer worker") == "Peer worker 2"
    assert quote_label("Manager 3", "FG1") == "Manager 3, FG1"
