"""Steps of ``rules/tallies.smk``: counts per category, theme, subgroup and code group, and
the quotations bank. pandas only."""

from __future__ import annotations

from analysis.io import read_csv, write_csv
from analysis.steps._common import Paths, read_articles


def tallies_study1_step(inp: Paths, out: Paths) -> None:
    """Study 1's counts by role, stage, outcome, country, period, design... (one CSV each)."""
    from analysis import tallies

    for name, df in tallies.study1_tallies(read_articles(inp["articles"])).items():
        write_csv(df, out[name])


def tallies_study_step(inp: Paths, out: Paths, group: str = "group") -> None:
    """A qualitative study's meaning units per STC level and group, with coverage."""
    from analysis import tallies

    t = tallies.segment_tallies(
        read_csv(inp["segments"]), read_csv(inp["participants"]), read_csv(inp["codebook"]), group
    )
    for name, df in t.items():
        write_csv(df, out[name])


def quotations_step(inp: Paths, out: Paths, group: str = "group") -> None:
    """The quotations bank: one meaning unit per subgroup, by the documented rule."""
    from analysis import quotations

    bank = quotations.quotation_bank(
        read_csv(inp["segments"]), read_csv(inp["participants"]), read_csv(inp["codebook"]), group
    )
    write_csv(bank, out["bank"])
