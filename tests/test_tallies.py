"""Tallies on small hand-made frames, checked against counts worked out by hand."""

from __future__ import annotations

import pandas as pd

from analysis import tallies

ARTICLES = pd.DataFrame(
    {
        "article_id": ["a1", "a2", "a3", "a4"],
        "year": [2001, 2004, 2010, 2020],
        "country": ["Norway", "USA", "USA", "Sweden"],
        "design": ["qualitative", "qualitative", "mixed", "other"],
        "sector": ["mental health", "both", "mental health", "substance use"],
        "setting": ["community", "community", "inpatient", "outpatient"],
        "role_category": [
            "peer support",
            "peer support",
            "co-creation partner",
            "pre-determined services",
        ],
        "stages": [
            "co-delivery",
            "co-delivery;co-assessment",
            "co-design;co-delivery",
            "co-delivery",
        ],
        "outcomes": ["service users", "", "service users;organisation", "peer workers"],
    }
)


def test_count_by_orders_and_percentages() -> None:
    out = tallies.count_by(ARTICLES, "country")
    assert out.to_dict("list") == {
        "country": ["USA", "Norway", "Sweden"],
        "n": [2, 1, 1],
        "percent": [50.0, 25.0, 25.0],
        "total": [4, 4, 4],
    }


def test_multivalued_columns_explode_and_use_article_denominator() -> None:
    t = tallies.study1_tallies(ARTICLES)
    stage = t["stage"].set_index("stage")
    assert stage["n"].to_dict() == {
        "co-commissioning": 0,
        "co-design": 1,
        "co-delivery": 4,
        "co-assessment": 1,
    }
    assert stage.loc["co-delivery", "percent"] == 100.0
    outcomes = t["outcomes"].set_index("beneficiary")["n"].to_dict()
    assert outcomes == {
        "service users": 2,
        "peer workers": 1,
        "professionals": 0,
        "organisation": 1,
    }


def test_role_by_stage_crosstab_has_every_cell() -> None:
    rs = tallies.study1_tallies(ARTICLES)["role_stage"].set_index("role_category")
    assert rs.loc["peer support"].to_dict() == {
        "co-commissioning": 0,
        "co-design": 0,
        "co-delivery": 2,
        "co-assessment": 1,
    }
    assert rs.loc["co-creation partner", "co-design"] == 1
    assert rs.shape == (3, 4)


def test_year_groups_are_five_year_bins() -> None:
    assert list(tallies.year_groups(pd.Series([2001, 2005, 2006, 2020]))) == [
        "2001–2005",
        "2001–2005",
        "2006–2010",
        "2016–2020",
    ]


def test_segment_tallies_count_units_and_coverage() -> None:
    participants = pd.DataFrame(
        {"participant_id": ["p1", "p2", "p3"], "group": ["FG1", "FG1", "FG2"]}
    )
    codebook = pd.DataFrame(
        {"theme": ["T1", "T1", "T2"], "subtheme": ["s1", "s2", "s3"], "code": ["c1", "c2", "c3"]}
    )
    segments = pd.DataFrame(
        {
            "participant_id": ["p1", "p1", "p2", "p3", "p3"],
            "theme": ["T1", "T1", "T2", "T1", "T2"],
            "subtheme": ["s1", "s2", "s3", "s1", "s3"],
            "code": ["c1", "c2", "c3", "c1", "c3"],
            "text": ["aaaa", "bb", "cccc", "dd", "dddddd"],
        }
    )
    t = tallies.segment_tallies(segments, participants, codebook, "group")
    assert t["themes"].to_dict("list") == {
        "theme": ["T1", "T2"],
        "segments": [3, 2],
        "participants": [2, 2],
        "of": [3, 3],
    }
    assert t["subthemes"]["segments"].tolist() == [2, 1, 2]
    assert t["by_group"].set_index("theme").to_dict("index") == {
        "T1": {"FG1": 2, "FG2": 1},
        "T2": {"FG1": 1, "FG2": 1},
    }
    assert t["coverage_by_group"].set_index("theme").loc["T1"].to_dict() == {
        "FG1": "1/2",
        "FG2": "1/1",
    }


def test_stc_hierarchy_counts_every_level_and_character_coverage() -> None:
    participants = pd.DataFrame(
        {"participant_id": ["p1", "p2", "p3"], "group": ["FG1", "FG1", "FG2"]}
    )
    codebook = pd.DataFrame(
        {"theme": ["T1", "T1", "T2"], "subtheme": ["s1", "s1", "s3"], "code": ["c1", "c2", "c3"]}
    )
    segments = pd.DataFrame(
        {
            "participant_id": ["p1", "p1", "p2", "p3"],
            "theme": ["T1", "T1", "T2", "T1"],
            "subtheme": ["s1", "s1", "s3", "s1"],
            "code": ["c1", "c2", "c3", "c1"],
            "text": ["aaaaaa", "bb", "cc", "dddd"],
        }
    )
    h = tallies.stc_hierarchy(segments, participants, codebook, "group")
    # every node (2 themes, 2 subgroups, 3 code groups) for all, FG1 and FG2
    assert list(h["group"].unique()) == ["all", "FG1", "FG2"]
    nodes = h[h["group"] == "all"]
    assert nodes["level"].tolist() == [
        "theme",
        "subgroup",
        "code group",
        "code group",
        "theme",
        "subgroup",
        "code group",
    ]
    t1 = nodes.iloc[0]
    assert (t1["units"], t1["participants"], t1["of"]) == (3, 2, 3)
    assert t1["coverage_pct"] == round(100 * 12 / 14, 1)  # 12 of 14 coded characters
    fg1_c1 = h[(h["group"] == "FG1") & (h["code"] == "c1")].iloc[0]
    assert (fg1_c1["units"], fg1_c1["coverage_pct"]) == (1, 60.0)  # 6 of FG1's 10 chars
    fg2_t2 = h[(h["group"] == "FG2") & (h["level"] == "theme") & (h["theme"] == "T2")].iloc[0]
    assert (fg2_t2["units"], fg2_t2["coverage_pct"]) == (0, 0.0)  # kept with zeros
