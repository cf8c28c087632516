"""PRISMA 2020 arithmetic: every rule fails with the box and both numbers named."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.prisma import PrismaError, flow_from_counts, flow_table

GOOD = [
    ("identified_database", "Medline", 60),
    ("identified_database", "Embase", 40),
    ("identified_other", "citation searching", 5),
    ("removed_duplicates", "", 25),
    ("removed_other", "", 0),
    ("screened", "", 80),
    ("excluded_screening", "", 50),
    ("sought", "", 30),
    ("not_retrieved", "", 2),
    ("assessed", "", 28),
    ("excluded_reason", "wrong population", 10),
    ("excluded_reason", "no peer role", 6),
    ("included", "", 12),
]


def counts(**changes: int) -> pd.DataFrame:
    rows = [(s, i, changes.get(s, n)) for s, i, n in GOOD]
    return pd.DataFrame(rows, columns=["stage", "item", "n"])


def test_consistent_counts_give_the_flow() -> None:
    flow = flow_from_counts(counts())
    assert (flow.identified, flow.excluded_full_text, flow.included) == (105, 16, 12)
    assert flow_table(flow)["n"].iloc[-1] == 12


@pytest.mark.parametrize(
    ("box", "value", "expected"),
    [
        (
            "screened",
            81,
            "screened' holds 81 but identified − duplicates − other removals gives 80",
        ),
        ("sought", 31, "sought' holds 31 but screened − excluded at screening gives 30"),
        ("assessed", 27, "assessed' holds 27 but sought − not retrieved gives 28"),
        ("included", 13, "included' holds 13 but assessed − excluded with reasons gives 12"),
    ],
)
def test_each_rule_names_the_box_and_both_numbers(box: str, value: int, expected: str) -> None:
    with pytest.raises(PrismaError) as err:
        flow_from_counts(counts(**{box: value}), label="prisma.csv")
    assert "prisma.csv: box '" in str(err.value)
    assert expected in str(err.value)


def test_a_missing_box_is_named() -> None:
    df = counts()
    with pytest.raises(PrismaError, match="missing PRISMA box.*assessed"):
        flow_from_counts(df[df["stage"] != "assessed"])
