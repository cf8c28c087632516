"""Systematic text condensation (STC) tables from a REFI-QDA project.

Studies 2 and 3 were analysed with systematic text condensation (Malterud, 2012): meaning
units are sorted into code groups, code groups into subgroups, and subgroups condensed into
themes. In a REFI-QDA export that hierarchy is the nesting of codes: a theme is a top-level
code, a subgroup a code inside it and a code group a code inside the subgroup; a meaning unit
is a ``PlainTextSelection`` coded at a code group. Participants are cases whose variables
carry their role, group (focus group or participant group), session and service level, and
who own their passages either by ``SelectionRef`` (a speaker in a focus-group transcript) or
by ``SourceRef`` (the one participant of an interview transcript).

This module turns a project read by :func:`analysis.qdpx.read_qdpx` into the same tables a
hand-kept CSV trio gives (participants, codebook, segments) plus every coder's codings, so
the rest of the DAG does not care which format the authors export. Every problem is
collected and raised together, naming the file and the element's guid.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from analysis.masking import mask
from analysis.qdpx import QdpxProject, read_qdpx
from analysis.validate import (
    InputError,
    Problem,
    StudyTables,
    check_frame,
    schema_path,
)

LEVELS = ("theme", "subtheme", "code")
"""Column names of the three code levels: theme > subgroup (subtheme) > code group (code)."""

CASE_VARIABLES = ("role", "group", "session", "service_level")
"""Case variables every participant needs; ``label`` is optional (defaults to the name)."""

CODINGS_COLUMNS = ["unit_id", "coder", "theme", "subtheme", "code"]


class CodedStudy(NamedTuple):
    """The clean tables of one qualitative study and every coder's codings."""

    tables: StudyTables
    codings: pd.DataFrame
    """``unit_id, coder, theme, subtheme, code``: one row per coding of a meaning unit."""


def _q(text: object) -> str:
    """Quote a name from the project, masked: the check runs before the privacy gate."""
    return "'" + mask(text) + "'"


def _problem(
    label: str, element: str | None, found: str | None, expected: str, hint: str | None = None
) -> Problem:
    """A problem located at a project element (``Code <guid>``), not at a table cell."""
    return Problem(f"{label}: {element}" if element else label, None, None, found, expected, hint)


def _depths(codebook: pd.DataFrame) -> dict[str, int]:
    parent = dict(zip(codebook["code_id"], codebook["parent_id"], strict=True))
    depth: dict[str, int] = {}
    for code in codebook["code_id"]:
        d, node, seen = 0, code, set()
        while parent.get(node, "") and node not in seen:
            seen.add(node)
            node = parent[node]
            d += 1
        depth[code] = d
    return depth


def _codebook(project: QdpxProject, label: str, problems: list[Problem]) -> pd.DataFrame:
    """Code groups with their subgroup and theme names, in the project's order."""
    cb = project.codebook
    depth = _depths(cb)
    by_id = cb.set_index("code_id")
    rows = []
    for code in cb.itertuples(index=False):
        d = depth[code.code_id]
        if d > 2:
            problems.append(
                _problem(
                    label,
                    f"Code {code.code_id}",
                    f"code {_q(code.name)} at nesting depth {d + 1}",
                    "three levels: theme > subgroup > code group",
                )
            )
        elif d == 2:
            sub = by_id.loc[code.parent_id]
            theme = by_id.loc[sub["parent_id"]]
            rows.append(
                {
                    "theme": theme["name"],
                    "subtheme": sub["name"],
                    "code": code.name,
                    "description": code.description,
                    "code_id": code.code_id,
                }
            )
    frame = pd.DataFrame(rows, columns=[*LEVELS, "description", "code_id"])
    dup = frame.duplicated(list(LEVELS), keep=False)
    for row in frame[dup].itertuples(index=False):
        problems.append(
            _problem(
                label,
                f"Code {row.code_id}",
                f"the path {_q(row.theme)} > {_q(row.subtheme)} > {_q(row.code)}",
                "each code group named once within its subgroup",
            )
        )
    if frame.empty:
        problems.append(
            _problem(
                label,
                "CodeBook",
                "no code group at the third level",
                "themes holding subgroups holding code groups",
            )
        )
    return frame


def _participants(project: QdpxProject, label: str, problems: list[Problem]) -> pd.DataFrame:
    cases = project.cases
    if cases.empty:
        problems.append(
            _problem(
                label,
                "Cases",
                "no Case element",
                "one Case per participant, with variables " + ", ".join(CASE_VARIABLES),
            )
        )
        return pd.DataFrame(columns=["participant_id", "label", *CASE_VARIABLES])
    for var in CASE_VARIABLES:
        if var not in cases.columns:
            problems.append(
                _problem(
                    label,
                    "Variables",
                    f"no variable named {var!r}",
                    "case variables " + ", ".join(CASE_VARIABLES),
                )
            )
            return pd.DataFrame(columns=["participant_id", "label", *CASE_VARIABLES])
    labels = cases["label"] if "label" in cases.columns else cases["name"]
    frame = pd.DataFrame(
        {
            "participant_id": cases["name"],
            "label": [
                lb if isinstance(lb, str) and lb else n
                for lb, n in zip(labels, cases["name"], strict=True)
            ],
            **{v: cases[v].where(cases[v].notna(), "") for v in CASE_VARIABLES},
        }
    )
    order = sorted(
        range(len(frame)), key=lambda i: (frame["session"].iloc[i], frame["participant_id"].iloc[i])
    )
    frame, cases = frame.iloc[order], cases.iloc[order]  # transcript order, as a reader meets them
    checked, found = check_frame(frame, schema_path("participants"), label)
    guids = cases["case_id"].tolist()
    for p in found:  # name the Case element instead of a row number of a table nobody sees
        case = f"Case {guids[p.row - 1]}" if p.row else None
        where = f"{case}, variable {p.column}" if case and p.column else case or p.column
        problems.append(_problem(label, where, p.found, p.expected, p.hint))
    return checked if checked is not None else frame


def coders_by_volume(codings: pd.DataFrame) -> list[str]:
    """Coders, most codings first (ties by name): the first is the primary coder, who coded
    every meaning unit; the others coded the double-coded subset."""
    counts = codings["coder"].value_counts()
    return sorted(counts.index, key=lambda c: (-int(counts[c]), str(c)))


def coder_labels(codings: pd.DataFrame, public: Mapping[str, str] | None = None) -> dict[str, str]:
    """Public label of every coder: ``Coder A``, ``Coder B``, ... by volume, then name.

    Why: a REFI-QDA ``User`` name is often a full name or an e-mail address, and coders are
    people; only these labels reach results/ (codings, reliability, articles, notebooks).
    ``public`` (config ``privacy.coder_labels``) maps a coder's name to a label the authors
    chose to publish instead; generated labels skip any label already taken.
    """
    public = dict(public or {})
    taken = set(public.values())
    generated = (f"Coder {_letters(i)}" for i in itertools.count())
    free = (label for label in generated if label not in taken)
    return {c: public[c] if c in public else next(free) for c in coders_by_volume(codings)}


def _letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: spreadsheet-style, so any number of coders gets a label."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


def pseudonymise_coders(study: CodedStudy, public: Mapping[str, str] | None = None) -> CodedStudy:
    """The same study with every coder name replaced by its :func:`coder_labels` label."""
    labels = coder_labels(study.codings, public)
    segments = study.tables.segments
    segments = segments.assign(coder=segments["coder"].map(labels))
    codings = study.codings.assign(coder=study.codings["coder"].map(labels))
    codings = codings.sort_values(["unit_id", "coder", "code"], kind="mergesort")
    return CodedStudy(study.tables._replace(segments=segments), codings.reset_index(drop=True))


def _owners(project: QdpxProject) -> tuple[dict, dict]:
    """Who owns each selection (SelectionRef) and each single-participant source (SourceRef)."""
    by_selection: dict[str, list[str]] = {}
    by_source: dict[str, list[str]] = {}
    for case in project.cases.itertuples(index=False):
        for sel in filter(None, str(case.selection_ids).split(";")):
            by_selection.setdefault(sel.lower(), []).append(case.name)
        for src in filter(None, str(case.source_ids).split(";")):
            by_source.setdefault(src.lower(), []).append(case.name)
    return by_selection, by_source


def coded_study_from_qdpx(path: str | Path) -> CodedStudy:
    """Read one study's REFI-QDA project into STC tables; raise every problem at once."""
    label = str(path)
    project = read_qdpx(path)
    problems: list[Problem] = []
    codebook = _codebook(project, label, problems)
    participants = _participants(project, label, problems)
    session = dict(zip(participants["participant_id"], participants["session"], strict=True))
    path_of = {r.code_id: (r.theme, r.subtheme, r.code) for r in codebook.itertuples()}
    by_selection, by_source = _owners(project)
    codings = project.codings
    rows = []
    for c in codings.itertuples(index=False):
        levels = path_of.get(c.code_id)
        if levels is None:
            problems.append(
                _problem(
                    label,
                    f"Coding {c.coding_id}",
                    f"a coding of PlainTextSelection {c.selection_id} at a code "
                    "that is not a code group",
                    "meaning units coded at the third level (code groups)",
                )
            )
            continue
        owners = by_selection.get(c.selection_id.lower())
        if owners is None:
            owners = by_source.get(c.source_id.lower(), [])
        if len(owners) != 1:
            found = (
                "no Case" if not owners else f"{len(owners)} Cases ({', '.join(map(_q, owners))})"
            )
            problems.append(
                _problem(
                    label,
                    f"PlainTextSelection {c.selection_id}",
                    f"{found} owning it in source {_q(c.source)}",
                    "exactly one participant (a Case with a SelectionRef to "
                    "it, or the only Case with a SourceRef to its source)",
                )
            )
            continue
        rows.append(
            {
                "unit_id": c.selection_id,
                "participant_id": owners[0],
                "coder": c.coder,
                "theme": levels[0],
                "subtheme": levels[1],
                "code": levels[2],
                "text": c.text,
                "source": c.source,
                "start": int(c.cp_start),
            }
        )
    if problems:
        raise InputError(problems)
    units = pd.DataFrame(rows)
    primary = coders_by_volume(units)[0]
    segs = units[units["coder"] == primary].sort_values(
        ["source", "start", "unit_id"], kind="mergesort"
    )
    k = segs.groupby("unit_id").cumcount()
    multi = segs["unit_id"].map(segs["unit_id"].value_counts()) > 1
    segs = segs.assign(
        segment_id=segs["unit_id"].where(~multi, segs["unit_id"] + "#" + (k + 1).astype(str)),
        session=segs["participant_id"].map(session),
    )
    segments = segs[["segment_id", "participant_id", "session", *LEVELS, "text", "coder"]]
    return CodedStudy(
        tables=StudyTables(
            participants.reset_index(drop=True),
            codebook.drop(columns="code_id").reset_index(drop=True),
            segments.sort_values("segment_id", kind="mergesort").reset_index(drop=True),
        ),
        codings=units[CODINGS_COLUMNS]
        .sort_values(["unit_id", "coder", "code"], kind="mergesort")
        .reset_index(drop=True),
    )


def codings_from_segments(segments: pd.DataFrame) -> pd.DataFrame:
    """Codings of a CSV-kept study: one coder per segment, so no double-coded subset."""
    return (
        segments.rename(columns={"segment_id": "unit_id"})[CODINGS_COLUMNS]
        .sort_values(["unit_id", "coder", "code"], kind="mergesort")
        .reset_index(drop=True)
    )
