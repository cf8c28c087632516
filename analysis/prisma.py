"""PRISMA 2020 flow counts of the scoping review, checked before anything is drawn.

A flow diagram whose boxes do not add up is a reporting error that reviewers catch; here the
arithmetic is checked on the counts file itself and an inconsistent file stops the build with
the box and both numbers named.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

SINGLE = (
    "removed_duplicates",
    "removed_other",
    "screened",
    "excluded_screening",
    "sought",
    "not_retrieved",
    "assessed",
    "included",
)


class PrismaError(ValueError):
    """The PRISMA counts are inconsistent; the message names every failing box."""


@dataclass(frozen=True)
class Flow:
    """The PRISMA 2020 boxes, as integers, with the per-item breakdowns."""

    databases: dict[str, int]
    other_sources: dict[str, int]
    removed_duplicates: int
    removed_other: int
    screened: int
    excluded_screening: int
    sought: int
    not_retrieved: int
    assessed: int
    exclusion_reasons: dict[str, int]
    included: int

    @property
    def identified(self) -> int:
        return sum(self.databases.values()) + sum(self.other_sources.values())

    @property
    def excluded_full_text(self) -> int:
        return sum(self.exclusion_reasons.values())


def flow_from_counts(counts: pd.DataFrame, *, label: str = "prisma.csv") -> Flow:
    """Build the flow from the tidy ``stage,item,n`` table and check its arithmetic."""
    n = counts.assign(n=counts["n"].astype(int))
    missing = [s for s in SINGLE if s not in set(n["stage"])]
    if missing:
        raise PrismaError(f"{label}: missing PRISMA box(es): {', '.join(missing)}")

    def items(stage: str) -> dict[str, int]:
        part = n[n["stage"] == stage]
        return {str(i): int(v) for i, v in zip(part["item"], part["n"], strict=True)}

    single = {s: int(n.loc[n["stage"] == s, "n"].sum()) for s in SINGLE}
    flow = Flow(
        databases=items("identified_database"),
        other_sources=items("identified_other"),
        exclusion_reasons=items("excluded_reason"),
        **single,
    )
    check(flow, label=label)
    return flow


def check(flow: Flow, *, label: str = "prisma.csv") -> None:
    """Every PRISMA 2020 identity; all failures are reported together."""
    rules = [
        (
            "screened",
            flow.screened,
            "identified − duplicates − other removals",
            flow.identified - flow.removed_duplicates - flow.removed_other,
        ),
        (
            "sought",
            flow.sought,
            "screened − excluded at screening",
            flow.screened - flow.excluded_screening,
        ),
        ("assessed", flow.assessed, "sought − not retrieved", flow.sought - flow.not_retrieved),
        (
            "included",
            flow.included,
            "assessed − excluded with reasons",
            flow.assessed - flow.excluded_full_text,
        ),
    ]
    problems = [
        f"{label}: box '{box}' holds {value:,} but {rule} gives {expected:,}"
        for box, value, rule, expected in rules
        if value != expected
    ]
    if not flow.databases:
        problems.append(f"{label}: no 'identified_database' rows: at least one database needed")
    if problems:
        raise PrismaError("\n".join(problems))


def flow_table(flow: Flow) -> pd.DataFrame:
    """The flow as an ordered two-column table for the methods section."""
    rows = [(f"Records identified: {db}", v) for db, v in flow.databases.items()]
    rows += [(f"Records identified: {k}", v) for k, v in flow.other_sources.items()]
    rows += [
        ("Duplicate records removed", flow.removed_duplicates),
        ("Records screened", flow.screened),
        ("Records excluded at title/abstract screening", flow.excluded_screening),
        ("Reports sought for retrieval", flow.sought),
        ("Reports not retrieved", flow.not_retrieved),
        ("Reports assessed for eligibility", flow.assessed),
    ]
    rows += [(f"Reports excluded: {k}", v) for k, v in flow.exclusion_reasons.items()]
    rows.append(("Studies included in review", flow.included))
    return pd.DataFrame(rows, columns=["box", "n"])
