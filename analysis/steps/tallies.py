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


def quotations_step(inp: Paths, out: Paths, study: str, group: str = "group") -> None:
    """Condensates and two to four quotations per subgroup, speakers checked (STC reporting)."""
    from analysis import quotations
    from analysis.validate import read_table, schema_path

    bank = read_table(inp["stc_bank"], schema_path("stc_bank"))
    condensates, quotes = quotations.condensation_report(
        read_csv(inp["segments"]),
        read_csv(inp["participants"]),
        read_csv(inp["codebook"]),
        bank[bank["study"] == study],
        group,
        label=inp["segments"],
    )
    write_csv(quotes, out["bank"])
    write_csv(condensates, out["condensates"])
