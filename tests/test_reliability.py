"""Intercoder reliability checked against hand computations and published textbook values."""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import reliability as rel

Z95 = 1.959963984540054


# --------------------------------------------------------------------------- fixtures


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """A codings table from (selection_id, code_id, coder) rows."""
    return pd.DataFrame(rows, columns=["selection_id", "code_id", "coder"])


def from_confusion(table: list[list[int]], codes: list[str]) -> pd.DataFrame:
    """Two coders, one code per unit: cell [i][j] units coded codes[i] by A, codes[j] by B."""
    rows = []
    n = 0
    for i, j in itertools.product(range(len(codes)), repeat=2):
        for _ in range(table[i][j]):
            rows += [(f"s{n:02d}", codes[i], "A"), (f"s{n:02d}", codes[j], "B")]
            n += 1
    return frame(rows)


def from_labels(labels: dict[str, list[str | None]]) -> pd.DataFrame:
    """Coder -> one code per unit (None = the coder did not code that unit)."""
    rows = []
    for coder, codes in labels.items():
        for u, c in enumerate(codes):
            if c is not None:
                rows.append((f"u{u:02d}", c, coder))
    return frame(rows)


# Three codes, ten units, po = 7/10; row and column margins (4, 3, 3).
CONFUSION = [[3, 1, 0], [0, 2, 1], [1, 0, 2]]
CODES = ["x", "y", "z"]


# --------------------------------------------------------------------------- by hand


def cohen_by_hand(table: np.ndarray) -> float:
    t = np.asarray(table, float)
    n = t.sum()
    po = np.trace(t) / n
    pe = sum(t[i, :].sum() * t[:, i].sum() for i in range(len(t))) / n**2
    return (po - pe) / (1 - pe)


def cohen_se_by_hand(table: np.ndarray) -> float:
    """Large-sample SE of kappa (Fleiss, Cohen & Everitt 1969)."""
    p = np.asarray(table, float) / np.sum(table)
    r, c = p.sum(1), p.sum(0)
    k = cohen_by_hand(table)
    pe = float((r * c).sum())
    a = sum(p[i, i] * (1 - (r[i] + c[i]) * (1 - k)) ** 2 for i in range(len(p)))
    b = (1 - k) ** 2 * sum(
        p[i, j] * (c[i] + r[j]) ** 2 for i in range(len(p)) for j in range(len(p)) if i != j
    )
    cc = (k - pe * (1 - k)) ** 2
    return math.sqrt((a + b - cc) / ((1 - pe) ** 2 * np.sum(table)))


def presence_table(table: list[list[int]], i: int) -> np.ndarray:
    """2x2 (absent, present) table of code i collapsed from a confusion table."""
    t = np.asarray(table, float)
    both = t[i, i]
    a_only = t[i, :].sum() - both
    b_only = t[:, i].sum() - both
    return np.array([[t.sum() - both - a_only - b_only, b_only], [a_only, both]])


def fleiss_by_hand(counts: np.ndarray) -> float:
    """Fleiss (1971): subjects x categories counts, n raters per subject."""
    counts = np.asarray(counts, float)
    big_n, n = len(counts), counts[0].sum()
    p_i = ((counts**2).sum(1) - n) / (n * (n - 1))
    p_bar = p_i.mean()
    p_j = counts.sum(0) / (big_n * n)
    pe = (p_j**2).sum()
    return (p_bar - pe) / (1 - pe)


def alpha_by_hand(data: list[list[object]]) -> float:
    """Nominal Krippendorff's alpha through the coincidence matrix (Krippendorff 2011)."""
    values = sorted({v for row in data for v in row if v is not None})
    o = {(c, k): 0.0 for c in values for k in values}
    for unit in zip(*data, strict=True):
        present = [v for v in unit if v is not None]
        m = len(present)
        if m < 2:
            continue
        for a, b in itertools.permutations(range(m), 2):
            o[present[a], present[b]] += 1 / (m - 1)
    n_c = {c: sum(o[c, k] for k in values) for c in values}
    n = sum(n_c.values())
    d_o = sum(o[c, k] for c in values for k in values if c != k)
    d_e = sum(n_c[c] * n_c[k] for c in values for k in values if c != k) / (n - 1)
    return 1 - d_o / d_e


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C: 4 coders,
# 12 units, missing values; nominal alpha = 0.743.
KRIPP_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Same paper, example A: 2 coders, 10 units, binary; alpha = 0.095.
KRIPP_A = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]
# Fleiss (1971) as tabulated on Wikipedia: 10 subjects, 14 raters, 5 categories; 0.210.
FLEISS_14 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def as_codings(data: list[list[object]]) -> pd.DataFrame:
    return from_labels(
        {f"c{i}": [None if v is None else f"k{v}" for v in row] for i, row in enumerate(data)}
    )


# --------------------------------------------------------------------------- hand checks


def test_hand_helpers_reproduce_published_values() -> None:
    assert alpha_by_hand(KRIPP_C) == pytest.approx(0.743, abs=5e-4)
    assert alpha_by_hand(KRIPP_A) == pytest.approx(0.095, abs=5e-4)
    assert fleiss_by_hand(np.array(FLEISS_14)) == pytest.approx(0.210, abs=5e-4)


def test_unit_code_matrix_is_presence_on_units_coded_by_all() -> None:
    codings = frame(
        [
            ("s1", "x", "A"),
            ("s1", "y", "A"),
            ("s1", "x", "B"),
            ("s2", "y", "A"),
            ("s2", "y", "B"),
            ("s2", "y", "B"),  # repeat counts once
            ("s3", "z", "A"),
        ]
    )  # single-coded: excluded, and so is its code
    m = rel.unit_code_matrix(codings)
    assert list(m.index.names) == ["selection_id", "code_id"]
    assert list(m.columns) == ["A", "B"]
    assert m.to_dict("index") == {
        ("s1", "x"): {"A": 1, "B": 1},
        ("s1", "y"): {"A": 1, "B": 0},
        ("s2", "x"): {"A": 0, "B": 0},
        ("s2", "y"): {"A": 1, "B": 1},
    }


def test_cohen_overall_matches_hand_kappa_and_interval() -> None:
    out = rel.cohen_kappa_overall(from_confusion(CONFUSION, CODES))
    expected = (0.7 - 0.34) / (1 - 0.34)
    assert cohen_by_hand(np.array(CONFUSION)) == pytest.approx(expected)
    assert out["method"] == "one_code_per_unit" and out["units"] == 10
    assert out["kappa"] == pytest.approx(expected)
    assert out["agree_pct"] == pytest.approx(70.0)
    se = cohen_se_by_hand(np.array(CONFUSION))
    assert out["ci_low"] == pytest.approx(expected - Z95 * se, abs=1e-9)
    assert out["ci_high"] == pytest.approx(expected + Z95 * se, abs=1e-9)


def test_cohen_per_code_matches_hand_2x2_tables() -> None:
    out = rel.cohen_kappa_per_code(from_confusion(CONFUSION, CODES)).set_index("code")
    assert list(out.index) == CODES
    assert list(out.columns) == ["units", "agree_pct", "kappa", "ci_low", "ci_high"]
    for i, c in enumerate(CODES):
        t = presence_table(CONFUSION, i)
        assert out.loc[c, "units"] == 10
        assert out.loc[c, "agree_pct"] == pytest.approx(100 * np.trace(t) / 10)
        assert out.loc[c, "kappa"] == pytest.approx(cohen_by_hand(t))
    # code x: both 3, A only 1, B only 1, neither 5 -> (0.8 - 0.52) / 0.48
    assert out.loc["x", "kappa"] == pytest.approx(0.28 / 0.48)


def test_perfect_agreement_gives_one_everywhere() -> None:
    labels = ["x", "y", "z", "x", "y", "x"]
    codings = from_labels({"A": labels, "B": labels, "C": labels})
    pair = ("A", "B")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        overall = rel.cohen_kappa_overall(codings, pair)
    assert overall["kappa"] == pytest.approx(1.0)
    assert overall["ci_low"] == pytest.approx(1.0) and overall["ci_high"] == pytest.approx(1.0)
    assert (rel.cohen_kappa_per_code(codings, pair)["kappa"] == 1.0).all()
    assert rel.fleiss_kappa_overall(codings)["kappa"] == pytest.approx(1.0)
    alpha = rel.krippendorff_alpha(codings)
    assert alpha["alpha"] == pytest.approx(1.0)
    assert all(v == pytest.approx(1.0) for v in alpha["per_code"].values())


def test_code_without_variation_has_nan_kappa_and_full_agreement() -> None:
    # Both coders apply "bg" to every unit, plus one code from the confusion table.
    base = from_confusion(CONFUSION, CODES)
    bg = base[["selection_id", "coder"]].drop_duplicates().assign(code_id="bg")
    codings = pd.concat([base, bg], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # undefined kappa must not come from a 0/0 warning
        per = rel.cohen_kappa_per_code(codings).set_index("code")
        fleiss = rel.fleiss_kappa_per_code(codings).set_index("code")
        alpha = rel.krippendorff_alpha(codings)
    assert per.loc["bg", "agree_pct"] == 100.0
    assert per.loc[["bg"], ["kappa", "ci_low", "ci_high"]].isna().all(axis=None)
    assert math.isnan(fleiss.loc["bg", "kappa"]) and fleiss.loc["bg", "agree_pct"] == 100.0
    assert math.isnan(alpha["per_code"]["bg"])
    assert per.loc["x", "kappa"] == pytest.approx(0.28 / 0.48)  # other codes unaffected


def test_multi_code_units_pool_the_2x2_tables() -> None:
    base = from_confusion(CONFUSION, CODES)
    bg = base[["selection_id", "coder"]].drop_duplicates().assign(code_id="bg")
    codings = pd.concat([base, bg], ignore_index=True)
    out = rel.cohen_kappa_overall(codings)
    pooled = sum(presence_table(CONFUSION, i) for i in range(3)) + np.array([[0, 0], [0, 10]])
    assert out["method"] == "pooled_code_presence"
    assert out["kappa"] == pytest.approx(cohen_by_hand(pooled))
    assert out["agree_pct"] == pytest.approx(100 * np.trace(pooled) / 40)
    assert rel.fleiss_kappa_overall(codings)["method"] == "pooled_code_presence"
    assert rel.krippendorff_alpha(codings)["method"] == "pooled_code_presence"


def test_single_coded_units_are_excluded() -> None:
    base = from_confusion(CONFUSION, CODES)
    extra = frame([("solo1", "x", "A"), ("solo2", "w", "B"), ("solo2", "y", "B")])
    codings = pd.concat([base, extra], ignore_index=True)
    assert rel.cohen_kappa_overall(codings) == rel.cohen_kappa_overall(base)
    assert rel.cohen_kappa_per_code(codings).equals(rel.cohen_kappa_per_code(base))
    assert "w" not in rel.unit_code_matrix(codings).index.get_level_values("code_id")
    assert rel.krippendorff_alpha(codings)["units"] == 10
    summary = rel.reliability_summary(codings)
    assert summary["units_double_coded"] == 10
    assert summary["units_single_coded_excluded"] == 2
    assert summary["codes"] == CODES


def test_fleiss_three_coders_matches_textbook_formula() -> None:
    labels = {
        "A": ["x", "x", "y", "z", "y", "x", "z", "y"],
        "B": ["x", "y", "y", "z", "y", "x", "x", "y"],
        "C": ["x", "x", "y", "y", "z", "x", "z", "z"],
    }
    codings = from_labels(labels)
    counts = np.array([[sum(labels[r][u] == c for r in labels) for c in CODES] for u in range(8)])
    out = rel.fleiss_kappa_overall(codings)
    assert out["method"] == "one_code_per_unit" and out["units"] == 8
    assert out["kappa"] == pytest.approx(fleiss_by_hand(counts))
    per = rel.fleiss_kappa_per_code(codings).set_index("code")
    for i, c in enumerate(CODES):
        present = counts[:, i]
        two = np.column_stack([3 - present, present])
        assert per.loc[c, "kappa"] == pytest.approx(fleiss_by_hand(two))


def test_fleiss_reproduces_fleiss_1971_example() -> None:
    rows = []
    for s, row in enumerate(FLEISS_14):
        raters = iter(range(14))
        for cat, k in enumerate(row):
            rows += [(f"s{s}", f"cat{cat}", f"r{next(raters):02d}") for _ in range(k)]
    out = rel.fleiss_kappa_overall(frame(rows))
    assert out["kappa"] == pytest.approx(fleiss_by_hand(np.array(FLEISS_14)))
    assert round(out["kappa"], 3) == 0.210


def test_krippendorff_alpha_matches_coincidence_matrix() -> None:
    out = rel.krippendorff_alpha(as_codings(KRIPP_C))
    assert out["method"] == "one_code_per_unit"
    assert out["units"] == 11  # unit 12 was coded by one coder only
    assert out["alpha"] == pytest.approx(alpha_by_hand(KRIPP_C))
    for value in (1, 2, 3, 4, 5):  # per-code alpha = alpha of presence/absence
        binary = [[None if v is None else int(v == value) for v in row] for row in KRIPP_C]
        assert out["per_code"][f"k{value}"] == pytest.approx(alpha_by_hand(binary))


def test_krippendorff_binary_example() -> None:
    codings = as_codings(KRIPP_A)
    out = rel.krippendorff_alpha(codings)
    assert out["alpha"] == pytest.approx(alpha_by_hand(KRIPP_A))
    assert round(out["alpha"], 3) == 0.095
    assert out["per_code"]["k1"] == pytest.approx(out["alpha"])


def test_cohen_needs_a_pair_among_three_coders() -> None:
    codings = as_codings(KRIPP_C)
    with pytest.raises(ValueError, match=r"exactly two coders.*c0, c1, c2, c3.*coders=\(a, b\)"):
        rel.cohen_kappa_per_code(codings)
    out = rel.cohen_kappa_overall(codings, ("c3", "c1"))
    assert out["coders"] == ["c1", "c3"]
    b, d = KRIPP_C[1], KRIPP_C[3]
    shared = [(x, y) for x, y in zip(b, d, strict=True) if x is not None and y is not None]
    cats = sorted({v for pair in shared for v in pair})
    table = np.zeros((len(cats), len(cats)))
    for x, y in shared:
        table[cats.index(x), cats.index(y)] += 1
    assert out["units"] == len(shared)
    assert out["kappa"] == pytest.approx(cohen_by_hand(table))


@pytest.mark.parametrize(
    ("codings", "kwargs", "message"),
    [
        (frame([("s1", "x", "A"), ("s2", "y", "A")]), {}, r"at least two coders; found 1"),
        (frame([("s1", "x", "A"), ("s2", "y", "B")]), {}, r"no selection_id is coded by more"),
        (
            from_confusion(CONFUSION, CODES),
            {"coders": ("A", "Q")},
            r"unknown coder\(s\) \['Q'\].*\['A', 'B'\]",
        ),
        (
            frame([("s1", "x", "A")]).rename(columns={"coder": "user"}),
            {},
            r"lacks column\(s\) \['coder'\]",
        ),
    ],
)
def test_clear_errors(codings: pd.DataFrame, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rel.cohen_kappa_per_code(codings, **kwargs)
    with pytest.raises(ValueError, match=message):
        rel.unit_code_matrix(codings, **kwargs)


def test_no_unit_coded_by_everyone_only_blocks_fleiss() -> None:
    codings = from_labels({"A": ["x", "y", None], "B": ["x", None, "y"], "C": [None, "y", "y"]})
    with pytest.raises(ValueError, match="no unit is coded by all 3 coders"):
        rel.fleiss_kappa_overall(codings)
    summary = rel.reliability_summary(codings)
    assert summary["fleiss_overall"] is None and summary["cohen_overall"] is None
    assert summary["krippendorff_alpha"]["units"] == 3


def test_bad_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="level must be one of"):
        rel.krippendorff_alpha(from_confusion(CONFUSION, CODES), level="ratioo")


def test_custom_column_names() -> None:
    codings = from_confusion(CONFUSION, CODES).rename(
        columns={"selection_id": "seg", "code_id": "label", "coder": "who"}
    )
    out = rel.cohen_kappa_overall(codings, unit="seg", code="label", coder="who")
    assert out["kappa"] == pytest.approx(cohen_by_hand(np.array(CONFUSION)))
    assert rel.unit_code_matrix(codings, unit="seg", code="label", coder="who").index.names == [
        "seg",
        "label",
    ]


def test_summary_is_json_stable_rounded_and_nan_free() -> None:
    base = from_confusion(CONFUSION, CODES)
    bg = base[["selection_id", "coder"]].drop_duplicates().assign(code_id="bg")
    codings = pd.concat([base, bg], ignore_index=True)
    summary = rel.reliability_summary(codings)
    text = json.dumps(summary, allow_nan=False, sort_keys=True)
    shuffled = codings.sample(frac=1, random_state=3).reset_index(drop=True)
    assert json.dumps(rel.reliability_summary(shuffled), allow_nan=False, sort_keys=True) == text
    assert summary["unit_of_analysis"] == (
        "coded segment (PlainTextSelection); agreement on which code was applied"
    )
    assert summary["coders"] == ["A", "B"] and summary["codes"] == ["bg", *CODES]
    assert summary["cohen_overall"]["method"] == "pooled_code_presence"
    per = {d["code"]: d for d in summary["per_code"]}
    assert [d["code"] for d in summary["per_code"]] == ["bg", *CODES]
    assert per["bg"]["cohen_kappa"] is None and per["bg"]["agree_pct"] == 100.0
    assert per["bg"]["cohen_ci"] == [None, None]
    assert per["x"]["cohen_kappa"] == round(0.28 / 0.48, 4)
    assert per["x"]["applied_by"] == {"A": 4, "B": 4}


def test_summary_one_code_design() -> None:
    summary = rel.reliability_summary(from_confusion(CONFUSION, CODES))
    kappa = (0.7 - 0.34) / 0.66
    assert summary["cohen_overall"]["kappa"] == round(kappa, 4)
    assert summary["cohen_overall"]["method"] == "one_code_per_unit"
    assert summary["units_double_coded"] == 10 and summary["units_single_coded_excluded"] == 0
    assert summary["krippendorff_alpha"]["level"] == "nominal"


def test_summary_can_be_limited_to_some_coders() -> None:
    codings = pd.concat(
        [from_confusion(CONFUSION, CODES), frame([("s00", "y", "ghost"), ("s01", "x", "ghost")])],
        ignore_index=True,
    )
    assert rel.reliability_summary(codings)["cohen_overall"] is None  # three coders, no pair
    summary = rel.reliability_summary(codings, coders=["B", "A"])
    assert summary["coders"] == ["A", "B"]
    assert summary["cohen_overall"]["kappa"] == round((0.7 - 0.34) / 0.66, 4)
    paired = rel.reliability_summary(codings, cohen_pair=("A", "B"))
    assert paired["cohen_overall"] == summary["cohen_overall"]
    assert paired["krippendorff_alpha"]["coders"] == ["A", "B", "ghost"]
