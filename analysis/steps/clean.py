"""Steps of ``rules/clean.smk``: validated, tidy tables from the raw inputs.

The input format of a qualitative study is decided here: the rule hands over a REFI-QDA
project (key ``qdpx``) or the three CSV sheets; only the REFI-QDA path loads the reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from analysis.io import read_csv, write_csv
from analysis.layout import QUAL_STUDIES, study_number
from analysis.steps._common import Paths

if TYPE_CHECKING:
    import pandas as pd

    from analysis.validate import StudyTables

#: The input keys of a qualitative study in CSV mode (``config.inputs.<study>``).
CSV_KEYS: tuple[str, ...] = ("participants", "codebook", "segments")


def study_input_keys(spec: Paths) -> list[str]:
    """Which raw inputs a study's config entry names: its REFI-QDA project, else the CSVs."""
    return ["qdpx"] if "qdpx" in spec else list(CSV_KEYS)


def clean_study1_step(inp: Paths, out: Paths) -> None:
    """Study 1's charting sheet and PRISMA counts, checked against each other."""
    from analysis.clean import clean_study1

    articles, counts = clean_study1(inp["extraction"], inp["prisma"])
    write_csv(articles, out["articles"])
    write_csv(counts, out["prisma"])


def load_study(
    inp: Paths, coder_labels: Mapping[str, str] | None = None
) -> tuple[StudyTables, pd.DataFrame]:
    """A qualitative study's tables and every coder's codings, from whichever format; coders
    only under their public labels (:func:`analysis.stc.coder_labels`) from here on."""
    from analysis import stc

    if "qdpx" in inp:
        study = stc.coded_study_from_qdpx(inp["qdpx"])
    else:
        from analysis.clean import clean_study

        tables = clean_study(*(inp[k] for k in CSV_KEYS))
        study = stc.CodedStudy(tables, stc.codings_from_segments(tables.segments))
    tables, codings = stc.pseudonymise_coders(study, coder_labels)
    return tables, codings


def clean_study_step(inp: Paths, out: Paths, coder_labels: Mapping[str, str] | None = None) -> None:
    """A qualitative study from its REFI-QDA project, or from the three CSV sheets."""
    t, codings = load_study(inp, coder_labels)
    write_csv(t.participants, out["participants"])
    write_csv(t.codebook, out["codebook"])
    write_csv(t.segments, out["segments"])
    write_csv(codings, out["codings"])


def clean_stage_map_step(inp: Paths, out: Paths) -> None:
    """The synthesis frame, checked against every qualitative study's codebook."""
    from analysis.clean import clean_stage_map

    codebooks = {s: read_csv(inp[f"codebook{study_number(s)}"]) for s in QUAL_STUDIES}
    write_csv(clean_stage_map(inp["stage_map"], codebooks), out["stage_map"])
