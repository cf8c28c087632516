"""Reading a validated input table, and the checks that need two tables.

Why: :func:`read_table` is what the clean stage calls for every hand-kept sheet; the
cross-table checks (a segment's participant must be in the sample, its code path in the
codebook) are what make three separately valid sheets one usable study.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from analysis.validate.checks import check_records
from analysis.validate.problems import InputError, Problem, did_you_mean, show
from analysis.validate.schemas import SCHEMA_DIR, column_names, load_schema, schema_path
from analysis.validate.sheets import Raw, read_csv, read_xlsx


def _sorted(problems: Iterable[Problem], schema: Mapping[str, Any]) -> list[Problem]:
    """Order problems as a reader scans the sheet: by row, then column position."""
    order = {c: i for i, c in enumerate(column_names(schema))}
    return sorted(
        problems,
        key=lambda p: (p.row or 0, order.get((p.column or "").split(", ")[0], len(order))),
    )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a sheet is read.

    Why: a million rows are millions of small lists and strings, none of them in a cycle;
    the collector would scan the growing heap again and again (it took three quarters of
    the time of validating a million-row sheet). Reference counting still frees them.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_checked(
    path: str | Path, schema: Mapping[str, Any], label: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and validate one table, returning either the frame or all its problems."""
    path = Path(path)
    title = schema.get("title", "input table")
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return None, [
            Problem(
                label,
                None,
                None,
                f"a file ending in {show(path.suffix)}",
                f"the {title} as .csv (UTF-8) or .xlsx",
            )
        ]
    if not path.is_file():
        found = "a directory" if path.is_dir() else "no file at this path"
        return None, [
            Problem(
                label,
                None,
                None,
                found,
                f"the {title} as a {suffix} file",
                "check the path in the configuration",
            )
        ]
    reader = read_xlsx if suffix == ".xlsx" else read_csv
    with _no_cyclic_gc():
        raw, problems = reader(path, label, schema)
        if raw is not None:
            frame, more = check_records(raw, schema, label)
            problems += more
            if not problems:
                return frame, []
    return None, _sorted(problems, schema)


def check_frame(
    frame: pd.DataFrame, schema: str | Path | Mapping[str, Any], label: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate a table built in memory (e.g. from a ``.qdpx``) with the same row schema.

    Why: participants read from REFI-QDA cases must meet exactly the rules a hand-kept
    ``participants.csv`` meets, with the same messages; rows are numbered from 1.
    """
    loaded = load_schema(schema)
    header = [str(c) for c in frame.columns]
    records = [
        (i, ["" if pd.isna(v) else str(v) for v in row])
        for i, row in enumerate(frame.itertuples(index=False), start=1)
    ]
    result, problems = check_records(Raw(header, records, None), loaded, label)
    return result, _sorted(problems, loaded)


def read_table(
    path: str | Path,
    schema: str | Path | Mapping[str, Any],
    *,
    file_label: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or XLSX input table, validate it against its row schema and normalise it.

    All problems of the file are raised together in one :class:`InputError`.
    On success the frame has the schema's columns in schema order, cells
    stripped and NFC-normalised, category values in their schema spelling,
    integer columns as ``int64`` (``Int64`` when a cell may be empty) and
    multi-valued columns as ``;``-joined strings in the enum's order.  The
    index holds the spreadsheet row numbers (named ``row``) so that later
    cross-table checks can point back at the sheet.
    """
    loaded = load_schema(schema)
    label = file_label if file_label is not None else str(path)
    frame, problems = _read_checked(path, loaded, label)
    if problems or frame is None:
        raise InputError(problems)
    frame.attrs["source"] = label
    return frame


# --------------------------------------------------------------------------- cross-table checks


def _row_numbers(frame: pd.DataFrame) -> list[int]:
    """Spreadsheet rows of a frame: its index if it came from :func:`read_table`."""
    if frame.index.name == "row":
        return [int(r) for r in frame.index]
    return [i + 2 for i in range(len(frame))]


def check_references(
    child_df: pd.DataFrame,
    child_label: str,
    column: str,
    parent_df: pd.DataFrame,
    parent_column: str,
    parent_label: str,
) -> list[Problem]:
    """Report child rows whose ``column`` value is not a ``parent_column`` value of the parent.

    Used for segments.participant_id → participants.participant_id, so that a
    quotation is never attributed to a participant who is not in the sample.
    Empty values are left to the child's own schema.
    """
    known = {str(v) for v in parent_df[parent_column].tolist()}
    problems = []
    for row, value in zip(_row_numbers(child_df), child_df[column].tolist(), strict=True):
        text = "" if value is None or pd.isna(value) else str(value)
        if text and text not in known:
            problems.append(
                Problem(
                    child_label,
                    row,
                    column,
                    show(text),
                    f"a {parent_column} listed in {parent_label}",
                    did_you_mean(text, sorted(known)),
                )
            )
    return problems


def check_code_paths(
    segments_df: pd.DataFrame,
    codebook_df: pd.DataFrame,
    label: str,
    *,
    codebook_label: str = "the codebook",
) -> list[Problem]:
    """Report segments whose (theme, subtheme, code) path is not in the codebook.

    The problem names the first level that does not match (theme, then
    subtheme, then code) and suggests the closest entry at that level, since a
    misspelt theme would otherwise make every code under it look wrong.
    """
    paths = set(
        zip(codebook_df["theme"], codebook_df["subtheme"], codebook_df["code"], strict=True)
    )
    themes = {t for t, _, _ in paths}
    problems = []
    triples = zip(segments_df["theme"], segments_df["subtheme"], segments_df["code"], strict=True)
    for row, (theme, subtheme, code) in zip(_row_numbers(segments_df), triples, strict=True):
        if (theme, subtheme, code) in paths:
            continue
        shown = " > ".join(show(v) for v in (theme, subtheme, code))
        if theme not in themes:
            column, value, choices = "theme", theme, sorted(themes)
            expected = f"a theme of {codebook_label}"
        elif (theme, subtheme) not in {(t, s) for t, s, _ in paths}:
            column, value = "subtheme", subtheme
            choices = sorted({s for t, s, _ in paths if t == theme})
            expected = f"a subtheme of theme {show(theme)} in {codebook_label}"
        else:
            column, value = "code", code
            choices = sorted({c for t, s, c in paths if (t, s) == (theme, subtheme)})
            expected = f"a code under {show(theme)} > {show(subtheme)} in {codebook_label}"
        problems.append(
            Problem(
                label,
                row,
                column,
                f"the code path {shown}",
                expected,
                did_you_mean(str(value), choices),
            )
        )
    return problems


class StudyTables(NamedTuple):
    """The validated tables of Studies 2 and 3."""

    participants: pd.DataFrame
    codebook: pd.DataFrame
    segments: pd.DataFrame


def validate_study_tables(
    participants: str | Path,
    codebook: str | Path,
    segments: str | Path,
    *,
    schema_dir: str | Path = SCHEMA_DIR,
) -> StudyTables:
    """Read participants, codebook and segments together and check the links between them.

    Raises one :class:`InputError` with every problem of all three files, so
    an author sees a misspelt participant id and a broken codebook row at once.
    Cross-table checks run only when both tables involved could be read.
    """
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame | None] = {}
    for table, path in (
        ("participants", participants),
        ("codebook", codebook),
        ("segments", segments),
    ):
        schema = load_schema(schema_path(table, schema_dir))
        frame, found = _read_checked(path, schema, str(path))
        frames[table] = frame
        problems += found
    people, codes, coded = frames["participants"], frames["codebook"], frames["segments"]
    if coded is not None and people is not None:
        problems += check_references(
            coded, str(segments), "participant_id", people, "participant_id", str(participants)
        )
    if coded is not None and codes is not None:
        problems += check_code_paths(coded, codes, str(segments), codebook_label=str(codebook))
    if problems or people is None or codes is None or coded is None:
        raise InputError(problems)
    return StudyTables(people, codes, coded)
