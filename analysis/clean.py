"""Clean stage: validated, normalised, tidy tables from the raw inputs.

Validation and normalisation rules live in :mod:`analysis.validate` and the JSON schemas;
this module decides which schema applies to which input and adds the checks that need more
than one table (PRISMA arithmetic, the stage map against the codebooks).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.prisma import flow_from_counts
from analysis.validate import (
    InputError,
    Problem,
    StudyTables,
    read_table,
    schema_path,
    validate_study_tables,
)


def clean_study1(extraction: str | Path, prisma: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The charting sheet (one row per article) and the PRISMA counts, checked."""
    articles = read_table(extraction, schema_path("extraction"))
    counts = read_table(prisma, schema_path("prisma"))
    included = flow_from_counts(counts, label=str(prisma)).included
    if len(articles) != included:
        raise InputError(
            [
                Problem(
                    str(extraction),
                    None,
                    None,
                    f"{len(articles)} articles",
                    f"{included} (the 'included' box of {prisma})",
                )
            ]
        )
    return articles.sort_values("article_id", kind="mergesort").reset_index(drop=True), counts


def clean_study(
    participants: str | Path, codebook: str | Path, segments: str | Path
) -> StudyTables:
    """Participants, codebook and segments of a qualitative study, cross-checked."""
    t = validate_study_tables(participants, codebook, segments)
    return StudyTables(
        participants=t.participants.reset_index(drop=True),
        codebook=t.codebook.reset_index(drop=True),
        segments=t.segments.sort_values("segment_id", kind="mergesort").reset_index(drop=True),
    )


def clean_stage_map(path: str | Path, codebooks: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The synthesis frame; every subtheme of every codebook must be placed on the cycle."""
    smap = read_table(path, schema_path("stage_map"))
    problems = []
    for study, cb in sorted(codebooks.items()):
        placed = set(
            zip(
                smap.loc[smap["study"] == study, "theme"],
                smap.loc[smap["study"] == study, "subtheme"],
                strict=True,
            )
        )
        for theme, sub in dict.fromkeys(zip(cb["theme"], cb["subtheme"], strict=True)):
            if (theme, sub) not in placed:
                problems.append(
                    Problem(
                        str(path),
                        None,
                        "subtheme",
                        f"no row for {study} subtheme '{sub}' (theme '{theme}')",
                        "one row per subtheme of the study's codebook",
                    )
                )
    if problems:
        raise InputError(problems)
    return smap
