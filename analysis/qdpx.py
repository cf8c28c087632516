"""Import and export REFI-QDA projects (``.qdpx``) as tidy tables.

Why this module exists: the two qualitative studies of the thesis were coded in CAQDAS tools
(NVivo, MAXQDA, ATLAS.ti, QualCoder). The REFI-QDA exchange standard is the only
tool-neutral way to get the codebook (the theme hierarchy), the coded segments and the
participants (cases and their attributes) out of those tools, so the Snakemake DAG rebuilds
every thematic tally and every intercoder-agreement figure from a ``.qdpx`` export through
:func:`read_qdpx` and :func:`write_tables`. :func:`write_qdpx` goes the other way so that the
synthetic data sets of the compendium can be opened in any of those tools.

Importing
---------
``read_qdpx(path)`` reads the zip archive in memory (members are looked up *inside* the zip
only, nothing is extracted, member paths are never joined onto the file system) and streams
``project.qde`` with :func:`lxml.etree.iterparse`, clearing elements as it goes, so that a
project with half a million codings stays far below 1 GB of memory. Elements are matched by
their *local* name because the namespace varies between tools (``urn:QDA-XML:project:1.0``;
NVivo for Mac writes codebooks in ``urn:QDA-XML:codebook:1:0``).

Source text: ``plainTextPath="internal://<x>"`` is the member ``sources/<x>`` (falling back
to ``<x>`` at the top of the archive) and a relative path is a member of the archive (tried
as given, then under ``sources/``); member names are matched case-insensitively because
MAXQDA writes ``sources/`` and NVivo ``Sources/``. An absolute path or URL points outside
the archive and is an error, as is a path with ``..``. Inline ``PlainTextContent`` is used
when there is no path. A leading UTF-8 (or UTF-16) byte order mark is removed; line breaks
are kept as stored.

Offset conventions -- the detection rule
----------------------------------------
The standard counts ``startPosition``/``endPosition`` in Unicode code points from 0 with an
exclusive end, but NVivo 12 counts UTF-16 code units (an emoji counts 2) on the text as
stored, CRLF included and BOM excluded, and some exporters count on text whose CRLF line
breaks were normalised to LF. Four conventions are therefore candidates for every source:
``codepoint/crlf`` (the standard), ``codepoint/lf``, ``utf16/crlf`` (NVivo) and
``utf16/lf``. For each text source the importer ranks the candidates by these criteria,
in this order:

1. fewest selections that fall outside the source text under the candidate;
2. fewest selection boundaries that would split a character: the middle of a UTF-16
   surrogate pair, or the point between the CR and the LF of a CRLF line break;
3. most text sources of the *same project* under which the candidate is admissible (fits
   every selection and splits nothing) -- one file comes from one tool, so a source that
   cannot tell conventions apart (no emoji and no CRLF before its codings) follows the
   sources that can;
4. the preference order implied by the project's ``origin`` attribute: an origin that
   mentions NVivo prefers UTF-16 units, everything else prefers code points; within a unit,
   CRLF kept is preferred to CRLF normalised.

Positions are then mapped to code points of the stored text (CRLF kept), so ``text`` is
always the exact stored span; they are exposed as ``cp_start``/``cp_end`` next to the
``start``/``end`` that were written in the file. If every candidate leaves some selection
out of range, those selections are reported as errors (with the numbers and the source
length under the best candidate). A boundary that still splits a surrogate pair is moved to
the start of that character. Both that and any source whose offsets were *not* read in the
origin's default convention although it fitted (steps 2 and 3 overruled step 4, and the
slices differ) are reported in :attr:`QdpxProject.warnings`, so the decision can be audited.

Errors
------
The importer is lenient about the schema (unless ``validate=True``) but strict about things
that would silently corrupt an analysis. All problems of one file are collected and raised
once as :class:`QdpxError` (a :class:`ValueError`), each naming the ``.qdpx`` file and the
guid of the offending element.

Exporting
---------
``write_qdpx(...)`` writes a schema-valid project with byte-for-byte reproducible output:
fixed member order, fixed timestamps (``SOURCE_DATE_EPOCH`` or 1980-01-01), fixed
compression, caller-supplied or :func:`stable_guid` identifiers, and standard code-point
offsets.
"""

from __future__ import annotations

import argparse
import codecs
import math
import os
import re
import sys
import time
import uuid
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any

import numpy as np
import pandas as pd
from lxml import etree

from analysis.io import atomic_path

__all__ = [
    "CASES_SOURCE_COLUMNS",
    "CODEBOOK_COLUMNS",
    "CODINGS_COLUMNS",
    "CONVENTIONS",
    "SCHEMA_PATH",
    "QdpxError",
    "QdpxProject",
    "detect_offset_convention",
    "main",
    "read_qdpx",
    "stable_guid",
    "write_qdpx",
    "write_tables",
]

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "Project-mrt2019.xsd"
PROJECT_NS = "urn:QDA-XML:project:1.0"
QDE_MEMBER = "project.qde"

#: Columns of ``codebook.csv`` (the DataFrame adds ``description`` and ``color``).
CODEBOOK_COLUMNS = ("code_id", "name", "parent_id", "codable")
#: Columns of ``codings.csv`` (the DataFrame adds ids and code-point offsets).
CODINGS_COLUMNS = ("selection_id", "source", "start", "end", "text", "code_id", "coder")
#: Trailing columns of ``cases.csv``; the variables sit between ``name`` and these.
CASES_SOURCE_COLUMNS = ("source_ids", "sources", "selection_ids")
#: Candidate offset conventions, ``<unit>/<line breaks>``.
CONVENTIONS = ("codepoint/crlf", "codepoint/lf", "utf16/crlf", "utf16/lf")

_CODEBOOK_API_COLUMNS = (*CODEBOOK_COLUMNS, "description", "color")
_CODINGS_API_COLUMNS = (
    *CODINGS_COLUMNS,
    "coding_id",
    "source_id",
    "coder_id",
    "cp_start",
    "cp_end",
)
_CASES_FIXED = ("case_id", "name")
_RESERVED_CASE_COLUMNS = frozenset((*_CASES_FIXED, *CASES_SOURCE_COLUMNS, "description"))
_SOURCE_ELEMENTS = frozenset(
    ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")
)
_VALUE_ELEMENTS = {
    "TextValue": "Text",
    "BooleanValue": "Boolean",
    "IntegerValue": "Integer",
    "FloatValue": "Float",
    "DateValue": "Date",
    "DateTimeValue": "DateTime",
}
_VARIABLE_TYPES = tuple(_VALUE_ELEMENTS.values())
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:(//|\\\\)")
_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Fixed namespace of stable_guid: changing it changes every generated guid.
_GUID_NAMESPACE = uuid.UUID("6f1c7a52-3d0e-5b8e-9a47-2f6f0d3c9b11")
_MAX_LISTED_PROBLEMS = 200
_MAX_SOURCE_BYTES = 512 * 1024 * 1024
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------


class QdpxError(ValueError):
    """Every problem found in one ``.qdpx`` file, raised once.

    Why: a coded project is usually broken in several places at once (a deleted code still
    referenced by many codings, a missing transcript); listing all of them in one go saves
    round trips to the CAQDAS tool. ``problems`` holds one message per problem, each
    prefixed with the file name; ``str()`` lists them (the first 200 when there are more).
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = [f"{self.path}: {p}" for p in problems]
        shown = self.problems[:_MAX_LISTED_PROBLEMS]
        lines = [f"{len(self.problems)} problem(s) in {self.path}:"]
        lines.extend(f"  - {p}" for p in shown)
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------------------
# the imported project
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class QdpxProject:
    """An imported REFI-QDA project as pandas tables.

    Why frozen: the same object feeds several DAG steps (tallies, agreement, privacy gate)
    and none of them may swap a table out from under the others.

    Tables (all string columns use pandas' ``str`` dtype, missing values are NaN):

    - ``codebook``: ``code_id, name, parent_id, codable, description, color`` -- one row per
      ``Code`` in document order (a pre-order walk of the hierarchy); ``parent_id`` is ""
      at the top level; ``codable`` is a bool (``isCodable``, true when absent);
      ``description`` is the ``Description`` text ("" when absent).
    - ``codings``: ``selection_id, source, start, end, text, code_id, coder, coding_id,
      source_id, coder_id, cp_start, cp_end`` -- one row per ``Coding`` inside a
      ``PlainTextSelection`` of a ``TextSource``, in document order. ``start``/``end`` are
      as written in the file, ``cp_start``/``cp_end`` the same span as standard code-point
      offsets into ``sources.text``; ``coder`` is the user's name (its guid when the user
      has no name or is not listed; the selection's ``creatingUser`` when the coding has
      none).
    - ``cases``: ``case_id, name, <one column per Variable, by name>, source_ids,
      sources, selection_ids`` -- sorted by name then case_id; the last columns are
      semicolon-joined guids and names of the sources the case references (``SourceRef``)
      and the guids of the selections it references (``SelectionRef``: how a focus-group
      participant owns the passages they spoke in a shared transcript).
    - ``users``: ``user_id, name``; ``sources``: ``source_id, name, plain_text_path, text,
      offset_convention`` (text sources only; ``text`` without BOM, line breaks as stored);
      ``variables``: ``variable_id, name, type``; ``sets``: ``set_id, name, member_type,
      member_id``; ``descriptions``: ``kind, guid, description`` for every ``Description``
      element (the privacy gate scans these; ``kind`` is the owning element, e.g. Code).

    Also ``path``, ``name`` and ``origin`` of the project, ``offset_convention`` (source
    guid -> one of :data:`CONVENTIONS`, read-only) and ``warnings`` (decisions worth a look
    that are not errors, e.g. offsets read against the origin's default).
    """

    path: str
    name: str
    origin: str
    codebook: pd.DataFrame
    codings: pd.DataFrame
    cases: pd.DataFrame
    users: pd.DataFrame
    sources: pd.DataFrame
    variables: pd.DataFrame
    sets: pd.DataFrame
    descriptions: pd.DataFrame
    offset_convention: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------


def stable_guid(*parts: object) -> str:
    """Return a deterministic GUID (uuid5) for ``parts``.

    Why: exported projects must be byte-identical across runs, so identifiers cannot come
    from ``uuid4``; the same parts always give the same lowercase GUID.
    """
    key = "\x1f".join(str(p) for p in parts)
    return str(uuid.uuid5(_GUID_NAMESPACE, key))


def _norm_guid(guid: str) -> str:
    """Canonical form for comparing GUIDs (case and braces do not matter)."""
    return guid.strip().strip("{}").lower()


def _canonical_or_same(guid: str) -> str:
    """``_norm_guid`` that returns the very same object when it is already canonical.

    Why: the duplicate check normalises every guid of a project; reusing the object for
    guids that are already canonical keeps that check from doubling their memory.
    """
    norm = _norm_guid(guid)
    return guid if norm == guid else norm


def _is_missing(value: object) -> bool:
    """True for None/NaN/NA, the ways pandas spells an empty cell."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _str_frame(
    columns: Mapping[str, Sequence[Any]], order: Sequence[str], *, bools: Iterable[str] = ()
) -> pd.DataFrame:
    """Build a DataFrame with ``order`` columns, typed ``str`` (or ``bool``) even if empty.

    Why explicit dtypes: an empty project must give tables with the same dtypes as a full
    one, and pandas would otherwise make empty columns float64.
    """
    flags = set(bools)
    data = {
        name: np.array(list(columns[name]), dtype=bool)
        if name in flags
        else pd.array(list(columns[name]), dtype="str")
        for name in order
    }
    return pd.DataFrame(data, columns=list(order))


# --------------------------------------------------------------------------------------
# offset conventions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    """How one convention reads one source: fit, splits and the map to code points."""

    convention: str
    length: int
    n_out: int
    n_split: int
    astral_units: np.ndarray  # UTF-16 unit index of every astral char (utf16 only)
    collapsed: np.ndarray  # LF-text index of every collapsed CRLF (lf only)

    def to_codepoints(self, positions: np.ndarray) -> np.ndarray:
        """Map positions of this convention to code points of the stored text."""
        cp = positions
        if len(self.astral_units):
            cp = cp - np.searchsorted(self.astral_units, cp, side="left")
        if len(self.collapsed):
            cp = cp + np.searchsorted(self.collapsed, cp, side="left")
        return cp


def _candidates(text: str, starts: np.ndarray, ends: np.ndarray) -> dict[str, _Candidate]:
    """Score every convention on one source (selections with end < start excluded)."""
    crlf = np.array([m.start() for m in re.finditer("\r\n", text)], dtype=np.int64)
    lf_text = text.replace("\r\n", "\n") if len(crlf) else text
    collapsed = crlf - np.arange(len(crlf), dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    result: dict[str, _Candidate] = {}
    for newlines, variant in (("crlf", text), ("lf", lf_text)):
        astral = np.array([m.start() for m in _ASTRAL.finditer(variant)], dtype=np.int64)
        for unit in ("codepoint", "utf16"):
            if unit == "utf16":
                astral_units = astral + np.arange(len(astral), dtype=np.int64)
                length = len(variant) + len(astral)
                bad = astral_units + 1
            else:
                astral_units = empty
                length = len(variant)
                bad = empty
            if newlines == "crlf" and len(crlf):
                splits = crlf + 1
                if unit == "utf16" and len(astral):
                    splits = splits + np.searchsorted(astral, splits, side="left")
                bad = np.concatenate([bad, splits])
            n_out = int(np.count_nonzero((starts < 0) | (ends > length)))
            n_split = (
                int(np.count_nonzero(np.isin(starts, bad)) + np.count_nonzero(np.isin(ends, bad)))
                if len(bad)
                else 0
            )
            result[f"{unit}/{newlines}"] = _Candidate(
                convention=f"{unit}/{newlines}",
                length=length,
                n_out=n_out,
                n_split=n_split,
                astral_units=astral_units,
                collapsed=collapsed if newlines == "lf" else empty,
            )
    return result


def _preference(origin: str | None) -> tuple[str, ...]:
    """Convention preference implied by the exporting tool (rule step 4)."""
    if origin and "nvivo" in origin.lower():
        return ("utf16/crlf", "utf16/lf", "codepoint/crlf", "codepoint/lf")
    return CONVENTIONS


def _choose(
    candidates: Mapping[str, _Candidate],
    preference: Sequence[str],
    admitted_by: Mapping[str, int],
) -> _Candidate:
    """Apply the detection rule of the module docstring to one source."""
    return min(
        candidates.values(),
        key=lambda c: (
            c.n_out,
            c.n_split,
            -admitted_by.get(c.convention, 0),
            preference.index(c.convention),
        ),
    )


def detect_offset_convention(
    text: str, spans: Iterable[tuple[int, int]], origin: str | None = None
) -> str:
    """Return the offset convention (one of :data:`CONVENTIONS`) that fits one source.

    Why public: it documents, and lets the tests pin down, the rule applied per source by
    :func:`read_qdpx` (steps 1, 2 and 4 of the module docstring; step 3 needs the other
    sources of a project). ``text`` is the stored text without BOM.
    """
    pairs = [(int(s), int(e)) for s, e in spans if int(e) >= int(s)]
    starts = np.array([s for s, _ in pairs], dtype=np.int64)
    ends = np.array([e for _, e in pairs], dtype=np.int64)
    return _choose(_candidates(text, starts, ends), _preference(origin), {}).convention


# --------------------------------------------------------------------------------------
# zip access
# --------------------------------------------------------------------------------------


def _member_index(zf: zipfile.ZipFile) -> dict[str, list[zipfile.ZipInfo]]:
    """Map lowercased member names to their ZipInfo entries (files only)."""
    index: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        if not info.is_dir():
            index.setdefault(info.filename.lower(), []).append(info)
    return index


def _lookup(index: Mapping[str, list[zipfile.ZipInfo]], name: str) -> zipfile.ZipInfo | None:
    """Find a member by name, case-insensitively; prefer an exact-case match."""
    hits = index.get(name.lower(), [])
    for info in hits:
        if info.filename == name:
            return info
    return hits[0] if len(hits) == 1 else None


def _safe_relative(path: str) -> str | None:
    """Normalise a relative member path; None if it climbs out with ``..``."""
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


def _resolve_text_path(
    index: Mapping[str, list[zipfile.ZipInfo]], ref: str
) -> tuple[zipfile.ZipInfo | None, str]:
    """Resolve a ``plainTextPath`` to a zip member, or explain why it cannot be."""
    ref = ref.strip()
    if ref.lower().startswith("internal://"):
        rel = _safe_relative(ref[len("internal://") :])
        if rel is None:
            return None, f"plainTextPath '{ref}' climbs out of the archive with '..'"
        tried = [f"sources/{rel}", rel]
    elif _URL.match(ref) or ref.startswith(("/", "\\")) or _WINDOWS_ABSOLUTE.match(ref):
        return None, (
            f"plainTextPath '{ref}' is an absolute path outside the archive; the source text "
            "is not embedded in the .qdpx file"
        )
    else:
        rel = _safe_relative(ref)
        if rel is None:
            return None, f"plainTextPath '{ref}' climbs out of the archive with '..'"
        tried = [rel, f"sources/{rel}"]
    for name in tried:
        info = _lookup(index, name)
        if info is not None:
            return info, ""
        if len(index.get(name.lower(), [])) > 1:
            return None, f"plainTextPath '{ref}' matches several members that differ in case"
    return None, (
        f"source file '{ref}' is missing from the archive (looked for "
        + ", ".join(f"'{n}'" for n in tried)
        + ", case-insensitively)"
    )


def _decode_text(data: bytes) -> str:
    """Decode a source file: UTF-8, or UTF-16 when it starts with a UTF-16 BOM; drop BOM."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8")


# --------------------------------------------------------------------------------------
# streaming parse of project.qde
# --------------------------------------------------------------------------------------


@dataclass
class _Parsed:
    """Everything collected from one streaming pass over project.qde."""

    name: str = ""
    origin: str = ""
    users: list[tuple[str, str]] = field(default_factory=list)
    codes: list[list[Any]] = field(default_factory=list)  # guid, name, parent, codable, color
    code_descriptions: dict[str, str] = field(default_factory=dict)
    variables: list[tuple[str, str, str]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # text sources
    other_source_guids: list[str] = field(default_factory=list)
    sets: list[tuple[str, str, str, str]] = field(default_factory=list)
    descriptions: list[tuple[str, str, str]] = field(default_factory=list)
    # selections (parallel columns)
    sel_source: array = field(default_factory=lambda: array("q"))
    sel_guid: list[str] = field(default_factory=list)
    sel_start: array = field(default_factory=lambda: array("q"))
    sel_end: array = field(default_factory=lambda: array("q"))
    sel_valid: bytearray = field(default_factory=bytearray)
    sel_user: list[str | None] = field(default_factory=list)
    sel_line: array = field(default_factory=lambda: array("q"))
    # codings inside text selections (parallel columns)
    cod_sel: array = field(default_factory=lambda: array("q"))
    cod_guid: list[str] = field(default_factory=list)
    cod_target: list[str | None] = field(default_factory=list)
    cod_user: list[str | None] = field(default_factory=list)
    cod_line: array = field(default_factory=lambda: array("q"))
    # other references to check: (kind, owner kind, owner guid, target, line)
    refs: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    ignored_codings: int = 0
    # every guid attribute, for the duplicate check
    guid_values: list[str] = field(default_factory=list)
    guid_kinds: list[str] = field(default_factory=list)
    guid_lines: array = field(default_factory=lambda: array("q"))


def _parse_qde(stream: IO[bytes], problems: list[str]) -> _Parsed | None:
    """Stream project.qde once, collecting rows; None if the XML is not well-formed.

    Why a hand-written state machine: building the tree of a 500,000-coding project costs
    gigabytes, so every element is cleared (and removed from its parent) at its end tag and
    only plain Python rows are kept.
    """
    p = _Parsed()
    local: dict[str, str] = {}
    # one string object per distinct code/user guid: half a million codings repeat a few
    # dozen of them, and sharing saves ~170 bytes per coding
    shared: dict[str, str] = {}
    names: list[str] = []
    guids: list[str | None] = []
    code_stack: list[str] = []
    src_index = -1  # index into p.sources of the open TextSource
    sel_index = -1  # index of the open PlainTextSelection
    in_coding = False
    cod_guid = ""
    cod_user: str | None = None
    cod_target: str | None = None
    cod_line = 0
    case: dict[str, Any] | None = None
    value_ref: list[Any] | None = None  # [variable guid, value, line]
    current_set: tuple[str, str] | None = None

    context = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for event, el in context:
            tag = el.tag
            name = local.get(tag)
            if name is None:
                name = local[tag] = tag.rpartition("}")[2]
            if event == "start":
                parent = names[-1] if names else ""
                names.append(name)
                guid = el.get("guid")
                guids.append(guid)
                if guid is not None:
                    p.guid_values.append(guid)
                    p.guid_kinds.append(name)
                    p.guid_lines.append(el.sourceline or 0)
                if name == "Coding":
                    if parent == "PlainTextSelection" and sel_index >= 0:
                        in_coding = True
                        cod_guid = guid or ""
                        cod_user = el.get("creatingUser")
                        if cod_user is not None:
                            cod_user = shared.setdefault(cod_user, cod_user)
                        cod_target = None
                        cod_line = el.sourceline or 0
                    else:
                        p.ignored_codings += 1
                elif name == "CodeRef":
                    target = el.get("targetGUID") or ""
                    if parent == "Coding" and in_coding:
                        if cod_target is not None:
                            problems.append(
                                f"Coding {cod_guid} (line {el.sourceline}) has more than one "
                                "CodeRef"
                            )
                        cod_target = shared.setdefault(target, target)
                    else:
                        owner = guids[-2] if len(guids) > 1 else None
                        p.refs.append(("code", parent, owner or "?", target, el.sourceline or 0))
                elif name == "PlainTextSelection":
                    if parent == "TextSource" and src_index >= 0:
                        sel_index = len(p.sel_guid)
                        line = el.sourceline or 0
                        p.sel_source.append(src_index)
                        p.sel_guid.append(guid or "")
                        sel_user = el.get("creatingUser")
                        if sel_user is not None:
                            sel_user = shared.setdefault(sel_user, sel_user)
                        p.sel_user.append(sel_user)
                        p.sel_line.append(line)
                        p.sources[src_index]["selections"].append(sel_index)
                        valid = True
                        positions = []
                        for attr in ("startPosition", "endPosition"):
                            raw = el.get(attr)
                            try:
                                positions.append(int(raw))  # type: ignore[arg-type]
                            except (TypeError, ValueError):
                                positions.append(0)
                                valid = False
                                problems.append(
                                    f"PlainTextSelection {guid} (line {line}) has "
                                    f"{attr}={raw!r}, not an integer"
                                )
                        if guid is None:
                            valid = False
                            problems.append(
                                f"a PlainTextSelection (line {line}) has no guid attribute"
                            )
                        p.sel_start.append(positions[0])
                        p.sel_end.append(positions[1])
                        p.sel_valid.append(1 if valid else 0)
                elif name == "Code":
                    if parent in ("Codes", "Code"):
                        if guid is None:
                            problems.append(
                                f"a Code (line {el.sourceline}) named {el.get('name')!r} "
                                "has no guid attribute"
                            )
                            guid = ""
                        codable = (el.get("isCodable") or "true").strip().lower()
                        p.codes.append(
                            [
                                guid,
                                el.get("name") or "",
                                code_stack[-1] if parent == "Code" and code_stack else "",
                                codable not in ("false", "0"),
                                el.get("color") or "",
                            ]
                        )
                        code_stack.append(guid)
                elif name == "TextSource":
                    if parent == "Sources":
                        if guid is None:
                            problems.append(
                                f"a TextSource (line {el.sourceline}) named "
                                f"{el.get('name')!r} has no guid attribute"
                            )
                        src_index = len(p.sources)
                        p.sources.append(
                            {
                                "guid": guid or "",
                                "name": el.get("name") or "",
                                "path": el.get("plainTextPath"),
                                "content": None,
                                "line": el.sourceline or 0,
                                "selections": [],
                            }
                        )
                elif name in _SOURCE_ELEMENTS:
                    if parent == "Sources" and guid is not None:
                        p.other_source_guids.append(guid)
                elif name == "User":
                    if parent == "Users" and guid is not None:
                        p.users.append((guid, el.get("name") or ""))
                elif name == "Variable":
                    if parent == "Variables" and guid is not None:
                        p.variables.append(
                            (guid, el.get("name") or "", el.get("typeOfVariable") or "Text")
                        )
                elif name == "Case":
                    if parent == "Cases":
                        case = {
                            "guid": guid or "",
                            "name": el.get("name") or "",
                            "values": {},
                            "sources": [],
                            "selections": [],
                            "line": el.sourceline or 0,
                        }
                elif name == "VariableValue":
                    if parent == "Case" and case is not None:
                        value_ref = [None, None, el.sourceline or 0]
                elif name == "VariableRef":
                    if parent == "VariableValue" and value_ref is not None:
                        value_ref[0] = el.get("targetGUID") or ""
                elif name == "SourceRef":
                    if parent == "Case" and case is not None:
                        target = el.get("targetGUID") or ""
                        case["sources"].append(target)
                        p.refs.append(("source", "Case", case["guid"], target, el.sourceline or 0))
                elif name == "SelectionRef":
                    if parent == "Case" and case is not None:
                        target = el.get("targetGUID") or ""
                        case["selections"].append(target)
                        p.refs.append(
                            ("selection", "Case", case["guid"], target, el.sourceline or 0)
                        )
                elif name == "Project":
                    if parent == "":
                        p.name = el.get("name") or ""
                        p.origin = el.get("origin") or ""
                elif name == "Set":
                    if parent == "Sets":
                        current_set = (guid or "", el.get("name") or "")
                elif (
                    name in ("MemberCode", "MemberSource", "MemberNote")
                    and parent == "Set"
                    and current_set is not None
                ):
                    target = el.get("targetGUID") or ""
                    kind = name[len("Member") :].lower()
                    p.sets.append((current_set[0], current_set[1], kind, target))
                    if kind != "note":
                        p.refs.append((kind, "Set", current_set[0], target, el.sourceline or 0))
            else:  # end
                if name == "Coding":
                    if in_coding:
                        p.cod_sel.append(sel_index)
                        p.cod_guid.append(cod_guid)
                        p.cod_target.append(cod_target)
                        p.cod_user.append(cod_user)
                        p.cod_line.append(cod_line)
                        in_coding = False
                elif name == "PlainTextSelection":
                    if len(names) > 1 and names[-2] == "TextSource":
                        sel_index = -1
                elif name == "Code":
                    if len(names) > 1 and names[-2] in ("Codes", "Code") and code_stack:
                        code_stack.pop()
                elif name == "Description":
                    if len(names) > 1:
                        owner_kind = names[-2]
                        owner = guids[-2] or ""
                        text = el.text or ""
                        p.descriptions.append((owner_kind, owner, text))
                        if owner_kind == "Code" and code_stack:
                            p.code_descriptions[code_stack[-1]] = text
                elif name == "PlainTextContent":
                    if len(names) > 1 and names[-2] == "TextSource" and src_index >= 0:
                        p.sources[src_index]["content"] = el.text or ""
                elif name in _VALUE_ELEMENTS:
                    if len(names) > 1 and names[-2] == "VariableValue" and value_ref:
                        value_ref[1] = el.text or ""
                elif name == "VariableValue":
                    if value_ref is not None and case is not None:
                        if value_ref[0]:
                            case["values"][value_ref[0]] = (value_ref[1], value_ref[2])
                        value_ref = None
                elif name == "Case":
                    if case is not None and len(names) > 1 and names[-2] == "Cases":
                        p.cases.append(case)
                        case = None
                elif name == "TextSource":
                    if len(names) > 1 and names[-2] == "Sources":
                        src_index = -1
                elif name == "Set":
                    current_set = None
                names.pop()
                guids.pop()
                el.clear()
                parent_el = el.getparent()
                if parent_el is not None:
                    while el.getprevious() is not None:
                        del parent_el[0]
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        message = re.sub(r",? line \d+, column \d+\s*$", "", exc.msg or str(exc))
        problems.append(
            f"{QDE_MEMBER} is not well-formed XML: {message} (line {line}, column {column})"
        )
        return None
    return p


def _schema_problems(zf: zipfile.ZipFile, qde: zipfile.ZipInfo) -> list[str]:
    """Validate project.qde against the bundled XSD; one message per error, with lines.

    Why two passes: libxml2 validates while streaming (cheap in memory, so a valid
    500,000-coding project never becomes a tree) but reports line 0 for every error
    found that way; only when the stream is invalid is the file parsed again into a tree
    and validated there, which gives line numbers. A file that is not well-formed is left
    to the main pass to report.
    """
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    with zf.open(qde) as stream:
        context = etree.iterparse(
            stream,
            events=("end",),
            schema=schema,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        try:
            for _, el in context:
                el.clear()
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
            return []
        except etree.XMLSyntaxError as exc:
            streamed = [str(e.message) for e in exc.error_log] or [str(exc)]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    with zf.open(qde) as stream:
        try:
            tree = etree.parse(stream, parser)
        except etree.XMLSyntaxError:
            return []
    if schema.validate(tree):  # pragma: no cover - the streaming pass said otherwise
        return [f"{QDE_MEMBER}: schema error: {m}" for m in streamed]
    return [
        f"{QDE_MEMBER} line {err.line}"
        + (f", column {err.column}" if err.column else "")
        + f": schema error: {err.message}"
        for err in schema.error_log
    ]


# --------------------------------------------------------------------------------------
# read_qdpx
# --------------------------------------------------------------------------------------


def _duplicate_problems(p: _Parsed) -> list[str]:
    """One problem per guid used by more than one element."""
    if not p.guid_values:
        return []
    norm = pd.Series([_canonical_or_same(g) for g in p.guid_values], dtype=object)
    dup = norm.duplicated(keep=False).to_numpy()
    if not dup.any():
        return []
    where: dict[str, list[int]] = {}
    for i in np.flatnonzero(dup):
        where.setdefault(norm.iat[i], []).append(int(i))
    problems = []
    for positions in where.values():
        uses = ", ".join(f"{p.guid_kinds[i]} (line {p.guid_lines[i]})" for i in positions)
        problems.append(
            f"duplicate guid {p.guid_values[positions[0]]}: used by {len(positions)} "
            f"elements: {uses}"
        )
    return problems


def _load_source_texts(
    zf: zipfile.ZipFile,
    index: Mapping[str, list[zipfile.ZipInfo]],
    p: _Parsed,
    problems: list[str],
) -> list[str | None]:
    """Return the stored text of every text source (None where it cannot be had)."""
    texts: list[str | None] = []
    for src in p.sources:
        label = f"TextSource {src['guid']} ({src['name']!r}, line {src['line']})"
        text: str | None = None
        ref = src["path"]
        if ref:
            info, why = _resolve_text_path(index, ref)
            if info is None:
                problems.append(f"{label}: {why}")
            elif info.file_size > _MAX_SOURCE_BYTES:
                problems.append(f"{label}: member {info.filename!r} is larger than 512 MiB")
            else:
                try:
                    text = _decode_text(zf.read(info))
                except UnicodeDecodeError as exc:
                    problems.append(
                        f"{label}: member {info.filename!r} is not valid UTF-8 "
                        f"(byte {exc.start}: {exc.reason})"
                    )
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    problems.append(f"{label}: zip member {info.filename!r} is corrupt: {exc}")
        elif src["content"] is not None:
            text = src["content"]
        elif src["selections"]:
            problems.append(
                f"{label}: the source has coded selections but neither a plainTextPath nor "
                "PlainTextContent"
            )
        else:
            text = ""
        texts.append(text)
    return texts


def _resolve_offsets(
    p: _Parsed, texts: Sequence[str | None], problems: list[str], warnings: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Detect the convention of every source, check ranges, map to code points."""
    n_sel = len(p.sel_guid)
    starts = np.frombuffer(p.sel_start, dtype=np.int64) if n_sel else np.zeros(0, np.int64)
    ends = np.frombuffer(p.sel_end, dtype=np.int64) if n_sel else np.zeros(0, np.int64)
    valid = np.frombuffer(bytes(p.sel_valid), dtype=np.uint8).astype(bool)
    cp_start = starts.copy()
    cp_end = ends.copy()
    preference = _preference(p.origin)

    per_source: list[tuple[np.ndarray, dict[str, _Candidate]] | None] = []
    admitted_by: dict[str, int] = dict.fromkeys(CONVENTIONS, 0)
    for src, text in zip(p.sources, texts, strict=True):
        idx = np.array(src["selections"], dtype=np.int64)
        label = f"TextSource {src['guid']} ({src['name']!r})"
        ok = idx[valid[idx]] if len(idx) else idx
        length = f"{len(text)} code points" if text is not None else "unknown: text missing"
        for i in ok[ends[ok] < starts[ok]]:
            problems.append(
                f"PlainTextSelection {p.sel_guid[i]} (line {p.sel_line[i]}) on {label}: "
                f"endPosition={ends[i]} is before startPosition={starts[i]} "
                f"(source length {length})"
            )
        if text is None:
            per_source.append(None)
            continue
        ok = ok[ends[ok] >= starts[ok]]
        candidates = _candidates(text, starts[ok], ends[ok])
        per_source.append((ok, candidates))
        for c in candidates.values():
            if c.n_out == 0 and c.n_split == 0:
                admitted_by[c.convention] += 1

    conventions: list[str] = []
    for src, text, entry in zip(p.sources, texts, per_source, strict=True):
        if entry is None or text is None:
            conventions.append("")
            continue
        ok, candidates = entry
        best = _choose(candidates, preference, admitted_by)
        conventions.append(best.convention)
        label = f"TextSource {src['guid']} ({src['name']!r})"
        if best.n_out:
            unit = "UTF-16 code units" if best.convention.startswith("utf16") else "code points"
            out = ok[(starts[ok] < 0) | (ends[ok] > best.length)]
            for i in out:
                problems.append(
                    f"PlainTextSelection {p.sel_guid[i]} (line {p.sel_line[i]}) on {label}: "
                    f"startPosition={starts[i]} endPosition={ends[i]} is outside the source "
                    f"text, which is {best.length} {unit} long under the best-fitting offset "
                    f"convention {best.convention} ({len(text)} code points as stored)"
                )
            continue
        if best.n_split:
            warnings.append(
                f"{label}: {best.n_split} selection boundaries split a character under the "
                f"detected offset convention {best.convention}"
            )
        if len(ok):
            cp_start[ok] = best.to_codepoints(starts[ok])
            cp_end[ok] = best.to_codepoints(ends[ok])
        default = next(candidates[c] for c in preference if candidates[c].n_out == 0)
        if default is not best and not (
            np.array_equal(default.to_codepoints(starts[ok]), cp_start[ok])
            and np.array_equal(default.to_codepoints(ends[ok]), cp_end[ok])
        ):
            # the origin's default fitted but was overruled: say why, for the audit trail
            reason = (
                f"{default.convention} would split {default.n_split} selection boundaries "
                "inside a surrogate pair or a CRLF"
                if default.n_split > best.n_split
                else f"the other text sources of the project fit {best.convention}"
            )
            origin = f"origin {p.origin!r}" if p.origin else "a project without origin"
            warnings.append(
                f"{label}: offsets read as {best.convention}, not {default.convention} (the "
                f"default for {origin}), because {reason}"
            )
    return cp_start, cp_end, conventions


def _reference_problems(
    p: _Parsed,
    code_ids: Mapping[str, str],
    problems: list[str],
) -> list[str]:
    """Check every reference; return the canonical code id of every coding."""
    source_ids = {_norm_guid(s["guid"]) for s in p.sources}
    source_ids.update(_norm_guid(g) for g in p.other_source_guids)
    variable_ids = {_norm_guid(v[0]) for v in p.variables}
    selection_ids = {_norm_guid(g) for g in p.sel_guid}
    code_of: list[str] = []
    for i, target in enumerate(p.cod_target):
        sel = p.sel_guid[p.cod_sel[i]]
        if target is None:
            problems.append(
                f"Coding {p.cod_guid[i]} (line {p.cod_line[i]}) in PlainTextSelection {sel} "
                "has no CodeRef"
            )
            code_of.append("")
            continue
        canonical = code_ids.get(target)
        if canonical is None:
            canonical = code_ids.get(_norm_guid(target))
        if canonical is None:
            problems.append(
                f"Coding {p.cod_guid[i]} (line {p.cod_line[i]}) in PlainTextSelection {sel} "
                f"refers to unknown code {target} (CodeRef targetGUID)"
            )
            code_of.append("")
        else:
            code_of.append(canonical)
    for kind, owner_kind, owner, target, line in p.refs:
        known = {"code": code_ids, "selection": selection_ids}.get(kind, source_ids)
        if _norm_guid(target) not in known:
            element = {"code": "CodeRef", "source": "SourceRef",
                       "selection": "SelectionRef"}.get(kind, kind)
            if owner_kind == "Set":
                element = "MemberCode" if kind == "code" else "MemberSource"
            problems.append(
                f"{owner_kind} {owner} (line {line}) has a {element} to unknown {kind} {target}"
            )
    for case in p.cases:
        for var_guid, (_, line) in case["values"].items():
            if _norm_guid(var_guid) not in variable_ids:
                problems.append(
                    f"Case {case['guid']} (line {line}) has a VariableValue for unknown "
                    f"variable {var_guid}"
                )
    return code_of


def _cases_frame(p: _Parsed, problems: list[str]) -> pd.DataFrame:
    """Cases wide: one column per variable, then the referenced sources."""
    var_names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for guid, name, _ in p.variables:
        if name in _RESERVED_CASE_COLUMNS:
            problems.append(
                f"Variable {guid} is named {name!r}, which clashes with a fixed column of cases.csv"
            )
        elif name in seen:
            problems.append(f"Variables {seen[name]} and {guid} share the name {name!r}")
        seen.setdefault(name, guid)
        var_names[_norm_guid(guid)] = name
    columns = [*_CASES_FIXED, *dict.fromkeys(var_names.values()), *CASES_SOURCE_COLUMNS]
    source_names = {_norm_guid(s["guid"]): s["name"] for s in p.sources}
    rows = []
    for case in sorted(p.cases, key=lambda c: (c["name"], c["guid"])):
        row: dict[str, Any] = {"case_id": case["guid"], "name": case["name"]}
        for var_guid, (value, _) in case["values"].items():
            name = var_names.get(_norm_guid(var_guid))
            if name is not None:
                row[name] = value
        row["source_ids"] = ";".join(case["sources"])
        row["sources"] = ";".join(source_names.get(_norm_guid(s), s) for s in case["sources"])
        row["selection_ids"] = ";".join(case["selections"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    return frame


def read_qdpx(path: str | os.PathLike[str], *, validate: bool = False) -> QdpxProject:
    """Import a REFI-QDA ``.qdpx`` project; see the module docstring for the rules.

    Why ``validate`` is opt-in: real exports often deviate from the schema in harmless ways
    (NVivo for Mac namespaces, missing ``isCodable``); the importer tolerates those but
    refuses anything that would change the analysis. With ``validate=True`` schema errors
    (with line numbers) are added to the problems.

    Raises :class:`QdpxError` listing every problem of the file.
    """
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise QdpxError(path, [f"not a valid zip archive (or a corrupt one): {exc}"]) from exc
    problems: list[str] = []
    warnings: list[str] = []
    with zf:
        index = _member_index(zf)
        qde = _lookup(index, QDE_MEMBER)
        if qde is None:
            members = ", ".join(sorted(i.filename for i in zf.infolist())[:10]) or "none"
            raise QdpxError(
                path, [f"no {QDE_MEMBER} at the top of the archive (members: {members})"]
            )
        try:
            if validate:
                problems.extend(_schema_problems(zf, qde))
            with zf.open(qde) as stream:
                parsed = _parse_qde(stream, problems)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise QdpxError(path, [f"zip member {qde.filename!r} is corrupt: {exc}"]) from exc
        if parsed is None:
            raise QdpxError(path, problems)
        p = parsed
        problems.extend(_duplicate_problems(p))
        texts = _load_source_texts(zf, index, p, problems)

    code_ids: dict[str, str] = {}
    for code in p.codes:
        code_ids.setdefault(code[0], code[0])
        code_ids.setdefault(_norm_guid(code[0]), code[0])
    code_of = _reference_problems(p, code_ids, problems)
    cp_start, cp_end, conventions = _resolve_offsets(p, texts, problems, warnings)
    cases = _cases_frame(p, problems)
    if problems:
        raise QdpxError(path, problems)
    if p.ignored_codings:
        warnings.append(
            f"{p.ignored_codings} Coding element(s) outside text-source PlainTextSelections "
            "(whole-source, PDF, picture or media codings) were not imported"
        )

    users = {g: n for g, n in p.users}
    users_norm = {_norm_guid(g): n for g, n in p.users}

    def coder_name(guid: str | None) -> str:
        if not guid:
            return ""
        name = users.get(guid)
        if name is None:
            name = users_norm.get(_norm_guid(guid))
        return name or guid

    sel_idx = np.frombuffer(p.cod_sel, dtype=np.int64) if p.cod_guid else np.zeros(0, np.int64)
    source_of_sel = np.frombuffer(p.sel_source, dtype=np.int64) if p.sel_guid else sel_idx
    sel_text: list[str] = []
    for i in range(len(p.sel_guid)):
        text = texts[source_of_sel[i]] or ""
        sel_text.append(text[cp_start[i] : cp_end[i]])
    coder_ids = [
        u if u is not None else p.sel_user[s] for u, s in zip(p.cod_user, p.cod_sel, strict=True)
    ]
    names_by_user: dict[str | None, str] = {}
    coders = []
    for u in coder_ids:
        name = names_by_user.get(u)
        if name is None:
            name = names_by_user[u] = coder_name(u)
        coders.append(name)
    src_of_coding = source_of_sel[sel_idx] if len(sel_idx) else sel_idx
    src_names = np.array([s["name"] for s in p.sources] or [""], dtype=object)
    src_guids = np.array([s["guid"] for s in p.sources] or [""], dtype=object)
    sel_guids = np.array(p.sel_guid or [""], dtype=object)
    sel_texts = np.array(sel_text or [""], dtype=object)
    codings = pd.DataFrame(
        {
            "selection_id": pd.array(sel_guids[sel_idx], dtype="str"),
            "source": pd.array(src_names[src_of_coding], dtype="str"),
            "start": np.frombuffer(p.sel_start, dtype=np.int64)[sel_idx]
            if len(sel_idx)
            else np.zeros(0, np.int64),
            "end": np.frombuffer(p.sel_end, dtype=np.int64)[sel_idx]
            if len(sel_idx)
            else np.zeros(0, np.int64),
            "text": pd.array(sel_texts[sel_idx], dtype="str"),
            "code_id": pd.array(code_of, dtype="str"),
            "coder": pd.array(coders, dtype="str"),
            "coding_id": pd.array(p.cod_guid, dtype="str"),
            "source_id": pd.array(src_guids[src_of_coding], dtype="str"),
            "coder_id": pd.array([u or "" for u in coder_ids], dtype="str"),
            "cp_start": cp_start[sel_idx] if len(sel_idx) else np.zeros(0, np.int64),
            "cp_end": cp_end[sel_idx] if len(sel_idx) else np.zeros(0, np.int64),
        },
        columns=list(_CODINGS_API_COLUMNS),
    )

    codebook = _str_frame(
        {
            "code_id": [c[0] for c in p.codes],
            "name": [c[1] for c in p.codes],
            "parent_id": [c[2] for c in p.codes],
            "codable": [c[3] for c in p.codes],
            "description": [p.code_descriptions.get(c[0], "") for c in p.codes],
            "color": [c[4] for c in p.codes],
        },
        _CODEBOOK_API_COLUMNS,
        bools=("codable",),
    )
    sources = _str_frame(
        {
            "source_id": [s["guid"] for s in p.sources],
            "name": [s["name"] for s in p.sources],
            "plain_text_path": [s["path"] or "" for s in p.sources],
            "text": [t or "" for t in texts],
            "offset_convention": conventions,
        },
        ("source_id", "name", "plain_text_path", "text", "offset_convention"),
    )
    return QdpxProject(
        path=str(path),
        name=p.name,
        origin=p.origin,
        codebook=codebook,
        codings=codings,
        cases=cases,
        users=_str_frame(
            {"user_id": [u[0] for u in p.users], "name": [u[1] for u in p.users]},
            ("user_id", "name"),
        ),
        sources=sources,
        variables=_str_frame(
            {
                "variable_id": [v[0] for v in p.variables],
                "name": [v[1] for v in p.variables],
                "type": [v[2] for v in p.variables],
            },
            ("variable_id", "name", "type"),
        ),
        sets=_str_frame(
            {
                "set_id": [s[0] for s in p.sets],
                "name": [s[1] for s in p.sets],
                "member_type": [s[2] for s in p.sets],
                "member_id": [s[3] for s in p.sets],
            },
            ("set_id", "name", "member_type", "member_id"),
        ),
        descriptions=_str_frame(
            {
                "kind": [d[0] for d in p.descriptions],
                "guid": [d[1] for d in p.descriptions],
                "description": [d[2] for d in p.descriptions],
            },
            ("kind", "guid", "description"),
        ),
        offset_convention=MappingProxyType(
            {s["guid"]: c for s, c in zip(p.sources, conventions, strict=True)}
        ),
        warnings=tuple(warnings),
    )


# --------------------------------------------------------------------------------------
# write_tables
# --------------------------------------------------------------------------------------


_CSV_SPECIAL = re.compile('[",\r\n]')
_CSV_CHUNK_ROWS = 20_000


def _csv_column(values: Sequence[Any]) -> list[str]:
    """Render one column as RFC 4180 fields (missing -> "", bools -> true/false)."""
    out = []
    for v in values:
        if isinstance(v, str):
            out.append('"' + v.replace('"', '""') + '"' if _CSV_SPECIAL.search(v) else v)
        elif v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
            out.append("")
        elif isinstance(v, bool | np.bool_):
            out.append("true" if v else "false")
        else:
            out.append(str(v))
    return out


def _atomic_csv(frame: pd.DataFrame, target: Path) -> None:
    """Write ``frame`` as UTF-8 CSV with ``\n`` line ends, atomically.

    Why not ``DataFrame.to_csv``: with ``lineterminator="\n"`` Python 3.11's csv module
    does not quote a field holding a lone CR, and a coded span can end between the CR and
    the LF of a transcript line, which would split the row for every reader. The rows are
    RFC 4180 (fields with a comma, quote, CR or LF are quoted) and otherwise identical to
    ``to_csv(index=False, lineterminator="\n")``. The file is written next to ``target``
    and renamed into place, so Snakemake never sees half a table.
    """
    columns = [frame[c].tolist() for c in frame.columns]
    header = ",".join(_csv_column([str(c) for c in frame.columns]))
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header + "\n")
        # format a slice of rows at a time: quoted copies of half a million coded
        # spans would otherwise all be alive at once
        for lo in range(0, len(frame), _CSV_CHUNK_ROWS):
            chunk = [_csv_column(col[lo : lo + _CSV_CHUNK_ROWS]) for col in columns]
            fh.write("".join(",".join(row) + "\n" for row in zip(*chunk, strict=True)))


def write_tables(project: QdpxProject, outdir: str | os.PathLike[str]) -> list[Path]:
    """Write ``codebook.csv``, ``codings.csv`` and (if there are cases) ``cases.csv``.

    Why fixed columns and ``\\n`` line ends: the tables are DAG outputs that are hashed and
    diffed, so the same project must give the same bytes on every platform. Returns the
    paths written.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    codebook = project.codebook.loc[:, list(CODEBOOK_COLUMNS)]
    written = []
    for name, frame in (
        ("codebook.csv", codebook),
        ("codings.csv", project.codings.loc[:, list(CODINGS_COLUMNS)]),
    ):
        _atomic_csv(frame, out / name)
        written.append(out / name)
    if len(project.cases):
        _atomic_csv(project.cases, out / "cases.csv")
        written.append(out / "cases.csv")
    return written


# --------------------------------------------------------------------------------------
# write_qdpx
# --------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    """Escape element text; CR becomes a character reference so that it survives parsing."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _xml_attr(value: str) -> str:
    """Escape an attribute value, keeping tabs and line breaks through normalisation."""
    return _xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _zip_date_time(epoch: int | None = None) -> tuple[int, int, int, int, int, int]:
    """Timestamp of every zip member: ``epoch`` if given, else ``SOURCE_DATE_EPOCH`` (UTC),
    else 1980-01-01."""
    raw = str(epoch) if epoch is not None else os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return _ZIP_EPOCH
    try:
        stamp = int(raw)
    except ValueError as exc:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from exc
    parts = time.gmtime(stamp)[:6]
    if parts < _ZIP_EPOCH:
        return _ZIP_EPOCH
    if parts[0] > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])


def _zip_info(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """A ZipInfo whose every field is fixed, so the archive bytes are reproducible."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _column(frame: pd.DataFrame, name: str) -> list[Any] | None:
    """A column as a Python list, or None if the frame lacks it."""
    return frame[name].tolist() if name in frame.columns else None


def _cell(value: Any) -> str:
    """Cell value as string; missing becomes ""."""
    return "" if _is_missing(value) else str(value)


def _format_value(value: Any, kind: str) -> str | None:
    """Render a variable value for its ``typeOfVariable``; None if it does not fit."""
    if isinstance(value, bool | np.bool_):
        text = "true" if value else "false"
    elif isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return None
        text = np.format_float_positional(float(value), trim="-")
    else:
        text = str(value)
    patterns = {
        "Boolean": r"true|false|1|0",
        "Integer": r"[+-]?\d+",
        "Float": r"[+-]?(\d+(\.\d*)?|\.\d+)",
        "Date": r"-?\d{4,}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?",
        "DateTime": r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?",
    }
    pattern = patterns.get(kind)
    if pattern is not None and not re.fullmatch(pattern, text.strip()):
        return None
    return text


@dataclass
class _ExportPlan:
    """Validated, ordered content of a project to write."""

    users: list[tuple[str, str]] = field(default_factory=list)
    codes: list[tuple[str, str, str, bool, str, str]] = field(default_factory=list)
    children: dict[str, list[int]] = field(default_factory=dict)
    variables: list[tuple[str, str, str, str]] = field(default_factory=list)
    cases: list[tuple[str, str, str, list[tuple[int, str]], list[str], list[str]]] = field(
        default_factory=list
    )
    sources: list[tuple[str, str, str, str]] = field(default_factory=list)
    selections: dict[str, list[tuple[str, int, int, str, list[tuple[str, str, str]]]]] = field(
        default_factory=dict
    )


def _plan_export(
    codebook: pd.DataFrame,
    sources: pd.DataFrame,
    codings: pd.DataFrame,
    cases: pd.DataFrame | None,
    variables: pd.DataFrame | None,
    users: pd.DataFrame | None,
    problems: list[str],
) -> _ExportPlan:
    """Check the caller's tables and put them in the order they will be written."""
    plan = _ExportPlan()
    guid_owner: dict[str, str] = {}

    def claim(guid: str, what: str) -> None:
        if not _GUID.fullmatch(guid):
            problems.append(f"{what}: {guid!r} is not a GUID")
            return
        key = _norm_guid(guid)
        if key in guid_owner:
            problems.append(f"duplicate guid {guid}: {guid_owner[key]} and {what}")
        else:
            guid_owner[key] = what

    def check_text(value: str, what: str) -> str:
        if _XML_INVALID.search(value):
            problems.append(f"{what} contains a character that XML 1.0 cannot carry")
        return value

    # users
    user_by_name: dict[str, str] = {}
    user_ids: dict[str, str] = {}
    if users is not None:
        for uid, uname in zip(
            users["user_id"].tolist(),
            _column(users, "name") or [""] * len(users),
            strict=True,
        ):
            uid, uname = _cell(uid), _cell(uname)
            claim(uid, f"User {uid}")
            plan.users.append((uid, check_text(uname, f"name of User {uid}")))
            user_ids[_norm_guid(uid)] = uid
            if uname:
                user_by_name.setdefault(uname, uid)

    def user_for(coder: str) -> str:
        if not coder:
            return ""
        if coder in user_by_name:
            return user_by_name[coder]
        if _GUID.fullmatch(coder) and _norm_guid(coder) in user_ids:
            return user_ids[_norm_guid(coder)]
        uid = stable_guid("user", coder)
        claim(uid, f"User {uid} (coder {coder!r})")
        plan.users.append((uid, check_text(coder, f"coder {coder!r}")))
        user_by_name[coder] = uid
        user_ids[_norm_guid(uid)] = uid
        return uid

    # codes
    code_index: dict[str, int] = {}
    parents = _column(codebook, "parent_id") or [""] * len(codebook)
    codable = _column(codebook, "codable") or [True] * len(codebook)
    descriptions = _column(codebook, "description") or [""] * len(codebook)
    colors = _column(codebook, "color") or [""] * len(codebook)
    for i, (cid, cname) in enumerate(
        zip(codebook["code_id"].tolist(), codebook["name"].tolist(), strict=True)
    ):
        cid = _cell(cid)
        claim(cid, f"Code {cid}")
        flag = codable[i]
        if isinstance(flag, str):
            flag = flag.strip().lower() not in ("false", "0")
        color = _cell(colors[i])
        if color and not re.fullmatch(r"#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})", color):
            problems.append(f"Code {cid}: color {color!r} is not #RGB or #RRGGBB")
        plan.codes.append(
            (
                cid,
                check_text(_cell(cname), f"name of Code {cid}"),
                _cell(parents[i]),
                True if _is_missing(flag) else bool(flag),
                check_text(_cell(descriptions[i]), f"description of Code {cid}"),
                color,
            )
        )
        code_index[_norm_guid(cid)] = i
    for i, code in enumerate(plan.codes):
        parent = code[2]
        if parent and _norm_guid(parent) not in code_index:
            problems.append(f"Code {code[0]} has unknown parent_id {parent}")
            parent = ""
        plan.children.setdefault(
            plan.codes[code_index[_norm_guid(parent)]][0] if parent else "", []
        ).append(i)
    visited: set[int] = set()
    stack = list(plan.children.get("", []))
    while stack:
        i = stack.pop()
        if i not in visited:
            visited.add(i)
            stack.extend(plan.children.get(plan.codes[i][0], []))
    for i, code in enumerate(plan.codes):
        if i not in visited:
            problems.append(
                f"Code {code[0]} is not under any top-level code (its parent_id links form a cycle)"
            )

    # sources
    source_by_name: dict[str, str] = {}
    dup_names: set[str] = set()
    source_text: dict[str, str] = {}
    source_id_of: dict[str, str] = {}
    src_desc = _column(sources, "description") or [""] * len(sources)
    for i, (sid, sname, text) in enumerate(
        zip(
            sources["source_id"].tolist(),
            sources["name"].tolist(),
            sources["text"].tolist(),
            strict=True,
        )
    ):
        sid, sname, text = _cell(sid), _cell(sname), _cell(text)
        claim(sid, f"TextSource {sid}")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            problems.append(f"TextSource {sid}: text cannot be encoded as UTF-8")
        plan.sources.append(
            (
                sid,
                check_text(sname, f"name of TextSource {sid}"),
                text,
                check_text(_cell(src_desc[i]), f"description of TextSource {sid}"),
            )
        )
        source_text[sid] = text
        source_id_of[_norm_guid(sid)] = sid
        if sname in source_by_name:
            dup_names.add(sname)
        source_by_name.setdefault(sname, sid)
        plan.selections[sid] = []

    def source_for(value: str, by_id: bool, what: str) -> str | None:
        if by_id:
            sid = source_id_of.get(_norm_guid(value))
            if sid is None:
                problems.append(f"{what} refers to unknown source id {value!r}")
            return sid
        if value in dup_names:
            problems.append(f"{what} refers to source name {value!r}, which is not unique")
            return None
        sid = source_by_name.get(value)
        if sid is None:
            problems.append(f"{what} refers to unknown source {value!r}")
        return sid

    # codings -> selections
    by_id = "source_id" in codings.columns
    src_col = codings["source_id" if by_id else "source"].tolist()
    starts = codings["start"].tolist()
    ends = codings["end"].tolist()
    code_col = codings["code_id"].tolist()
    coder_id_col = _column(codings, "coder_id")
    coder_col = _column(codings, "coder") or [""] * len(codings)
    sel_col = _column(codings, "selection_id")
    cod_col = _column(codings, "coding_id")
    text_col = _column(codings, "text")
    groups: dict[tuple[str, int, int], tuple[str, list[tuple[str, str, str]]]] = {}
    for row in range(len(codings)):
        what = f"codings row {row}"
        sid = source_for(_cell(src_col[row]), by_id, what)
        try:
            start, end = int(starts[row]), int(ends[row])
        except (TypeError, ValueError):
            problems.append(f"{what}: start/end {starts[row]!r}/{ends[row]!r} not integers")
            continue
        if sid is None:
            continue
        text = source_text[sid]
        if not 0 <= start <= end <= len(text):
            problems.append(
                f"{what}: span {start}-{end} is outside TextSource {sid} "
                f"({len(text)} code points) or ends before it starts"
            )
            continue
        if (
            text_col is not None
            and not _is_missing(text_col[row])
            and text_col[row] != text[start:end]
        ):
            problems.append(
                f"{what}: text does not match TextSource {sid} at {start}-{end} "
                "(offsets must be code points of the text as given)"
            )
            continue
        code = code_index.get(_norm_guid(_cell(code_col[row])))
        if code is None:
            problems.append(f"{what} refers to unknown code {_cell(code_col[row])!r}")
            continue
        coder_uid = ""
        if coder_id_col is not None and not _is_missing(coder_id_col[row]) and coder_id_col[row]:
            coder_uid = _cell(coder_id_col[row])
            if _norm_guid(coder_uid) not in user_ids:
                claim(coder_uid, f"User {coder_uid}")
                plan.users.append((coder_uid, check_text(_cell(coder_col[row]), what)))
                user_ids[_norm_guid(coder_uid)] = coder_uid
            coder_uid = user_ids[_norm_guid(coder_uid)]
        else:
            coder_uid = user_for(_cell(coder_col[row]))
        key = (sid, start, end)
        group = groups.get(key)
        if group is None:
            sel_guid = _cell(sel_col[row]) if sel_col is not None else ""
            if not sel_guid:
                sel_guid = stable_guid("selection", sid, start, end)
            claim(sel_guid, f"PlainTextSelection {sel_guid}")
            group = groups[key] = (sel_guid, [])
            plan.selections[sid].append((sel_guid, start, end, coder_uid, group[1]))
        code_guid = plan.codes[code][0]
        coding_guid = _cell(cod_col[row]) if cod_col is not None else ""
        if not coding_guid:
            seen = sum(1 for c in group[1] if c[1] == code_guid and c[2] == coder_uid)
            coding_guid = stable_guid("coding", group[0], code_guid, coder_uid, seen)
        claim(coding_guid, f"Coding {coding_guid}")
        group[1].append((coding_guid, code_guid, coder_uid))

    # variables and cases
    case_columns: list[str] = []
    if cases is not None:
        case_columns = [c for c in cases.columns if c not in _RESERVED_CASE_COLUMNS]
    declared: list[tuple[str, str, str, str]] = []
    if variables is not None:
        v_ids = _column(variables, "variable_id")
        v_types = _column(variables, "type")
        v_desc = _column(variables, "description")
        for i, vname in enumerate(variables["name"].tolist()):
            vname = _cell(vname)
            vid = _cell(v_ids[i]) if v_ids is not None else ""
            declared.append(
                (
                    vid or stable_guid("variable", vname),
                    vname,
                    _cell(v_types[i]) if v_types is not None else "Text",
                    _cell(v_desc[i]) if v_desc is not None else "",
                )
            )
    declared_names = {d[1] for d in declared}
    for column in case_columns:
        if column not in declared_names:
            declared.append((stable_guid("variable", column), str(column), "Text", ""))
    seen_names: set[str] = set()
    for vid, vname, vtype, vdesc in declared:
        claim(vid, f"Variable {vid} ({vname!r})")
        if vname in _RESERVED_CASE_COLUMNS or vname in seen_names:
            problems.append(
                f"Variable {vid}: name {vname!r} is reserved or used twice (cases.csv needs "
                "one column per variable name)"
            )
        seen_names.add(vname)
        vtype = vtype or "Text"
        if vtype not in _VARIABLE_TYPES:
            problems.append(f"Variable {vid} ({vname!r}) has unknown type {vtype!r}")
        plan.variables.append((vid, check_text(vname, f"name of Variable {vid}"), vtype, vdesc))
    var_pos = {v[1]: i for i, v in enumerate(plan.variables)}
    if cases is not None:
        names = _column(cases, "name") or [""] * len(cases)
        c_desc = _column(cases, "description") or [""] * len(cases)
        src_ids = _column(cases, "source_ids")
        src_names = _column(cases, "sources")
        sel_refs = _column(cases, "selection_ids")
        known_selections = {
            _norm_guid(sel[0]): sel[0] for sels in plan.selections.values() for sel in sels
        }
        # selections of codings rows already rejected above are not reported a second time
        rejected = {_norm_guid(_cell(v)) for v in (_column(codings, "selection_id") or [])}
        columns = {c: cases[c].tolist() for c in case_columns}
        for row, cid in enumerate(cases["case_id"].tolist()):
            cid = _cell(cid)
            claim(cid, f"Case {cid}")
            values = []
            for column in case_columns:
                value = columns[column][row]
                if _is_missing(value):
                    continue
                vi = var_pos[str(column)]
                rendered = _format_value(value, plan.variables[vi][2])
                if rendered is None:
                    problems.append(
                        f"Case {cid}: value {value!r} does not fit variable {column!r} of type "
                        f"{plan.variables[vi][2]}"
                    )
                    continue
                values.append((vi, check_text(rendered, f"Case {cid} value of {column!r}")))
            refs: list[str] = []
            raw = src_ids[row] if src_ids is not None else None
            use_ids = raw is not None and not _is_missing(raw)
            if not use_ids and src_names is not None:
                raw = src_names[row]
            for part in _cell(raw).split(";"):
                part = part.strip()
                if part:
                    sid = source_for(part, use_ids, f"Case {cid}")
                    if sid is not None:
                        refs.append(sid)
            selections: list[str] = []
            raw_sel = sel_refs[row] if sel_refs is not None else None
            for part in ("" if _is_missing(raw_sel) else _cell(raw_sel)).split(";"):
                part = part.strip()
                if not part:
                    continue
                if _norm_guid(part) not in known_selections:
                    if _norm_guid(part) not in rejected:
                        problems.append(f"Case {cid}: SelectionRef to unknown selection {part}")
                else:
                    selections.append(known_selections[_norm_guid(part)])
            plan.cases.append(
                (
                    cid,
                    check_text(_cell(names[row]), f"name of Case {cid}"),
                    check_text(_cell(c_desc[row]), f"description of Case {cid}"),
                    values,
                    refs,
                    selections,
                )
            )
    return plan


def _project_xml(plan: _ExportPlan, name: str, origin: str) -> Iterable[str]:
    """Yield project.qde in schema order (Users, CodeBook, Variables, Cases, Sources)."""
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield (
        f'<Project xmlns="{PROJECT_NS}" name="{_xml_attr(name)}" origin="{_xml_attr(origin)}">\n'
    )
    if plan.users:
        yield "<Users>\n"
        for guid, uname in plan.users:
            attr = f' name="{_xml_attr(uname)}"' if uname else ""
            yield f'<User guid="{guid}"{attr}/>\n'
        yield "</Users>\n"
    if plan.codes:
        yield "<CodeBook>\n<Codes>\n"

        def code_xml(i: int, depth: int) -> Iterable[str]:
            cid, cname, _, codable, desc, color = plan.codes[i]
            pad = "  " * depth
            attrs = f'guid="{cid}" name="{_xml_attr(cname)}" isCodable="{str(codable).lower()}"'
            if color:
                attrs += f' color="{color}"'
            kids = plan.children.get(cid, [])
            if not kids and not desc:
                yield f"{pad}<Code {attrs}/>\n"
                return
            yield f"{pad}<Code {attrs}>\n"
            if desc:
                yield f"{pad}  <Description>{_xml_text(desc)}</Description>\n"
            for k in kids:
                yield from code_xml(k, depth + 1)
            yield f"{pad}</Code>\n"

        for i in plan.children.get("", []):
            yield from code_xml(i, 1)
        yield "</Codes>\n</CodeBook>\n"
    if plan.variables:
        yield "<Variables>\n"
        for vid, vname, vtype, vdesc in plan.variables:
            head = f'<Variable guid="{vid}" name="{_xml_attr(vname)}" typeOfVariable="{vtype}"'
            if vdesc:
                yield f"{head}><Description>{_xml_text(vdesc)}</Description></Variable>\n"
            else:
                yield f"{head}/>\n"
        yield "</Variables>\n"
    if plan.cases:
        yield "<Cases>\n"
        for cid, cname, cdesc, values, refs, selections in plan.cases:
            yield f'<Case guid="{cid}" name="{_xml_attr(cname)}">\n'
            if cdesc:
                yield f"  <Description>{_xml_text(cdesc)}</Description>\n"
            for vi, value in values:
                vid, _, vtype, _ = plan.variables[vi]
                yield (
                    f'  <VariableValue><VariableRef targetGUID="{vid}"/>'
                    f"<{vtype}Value>{_xml_text(value)}</{vtype}Value></VariableValue>\n"
                )
            for sid in refs:
                yield f'  <SourceRef targetGUID="{sid}"/>\n'
            for sel in selections:
                yield f'  <SelectionRef targetGUID="{sel}"/>\n'
            yield "</Case>\n"
        yield "</Cases>\n"
    if plan.sources:
        yield "<Sources>\n"
        for sid, sname, _, sdesc in plan.sources:
            yield (
                f'<TextSource guid="{sid}" name="{_xml_attr(sname)}" '
                f'plainTextPath="internal://{sid}.txt">\n'
            )
            if sdesc:
                yield f"  <Description>{_xml_text(sdesc)}</Description>\n"
            for sel_guid, start, end, user, coding_list in plan.selections[sid]:
                user_attr = f' creatingUser="{user}"' if user else ""
                yield (
                    f'  <PlainTextSelection guid="{sel_guid}" startPosition="{start}" '
                    f'endPosition="{end}"{user_attr}>\n'
                )
                for coding_guid, code_guid, coder in coding_list:
                    coder_attr = f' creatingUser="{coder}"' if coder else ""
                    yield (
                        f'    <Coding guid="{coding_guid}"{coder_attr}>'
                        f'<CodeRef targetGUID="{code_guid}"/></Coding>\n'
                    )
                yield "  </PlainTextSelection>\n"
            yield "</TextSource>\n"
        yield "</Sources>\n"
    yield "</Project>\n"


def write_qdpx(
    path: str | os.PathLike[str],
    *,
    codebook: pd.DataFrame,
    sources: pd.DataFrame,
    codings: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    variables: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    origin: str = "peerwork-compendium",
    name: str | None = None,
    source_date_epoch: int | None = None,
) -> Path:
    """Write a schema-valid, byte-reproducible REFI-QDA project.

    Why: the synthetic data of the compendium must open in NVivo, MAXQDA, ATLAS.ti and
    QualCoder, and a rebuilt ``.qdpx`` must hash the same as the one in the archive.

    Tables (the same shapes :func:`read_qdpx` returns, so a read project can be written):

    - ``codebook``: ``code_id``, ``name``, optional ``parent_id`` (""/NaN at top level),
      ``codable`` (default true), ``description``, ``color``. Codes are written nested;
      rows in pre-order round-trip unchanged.
    - ``sources``: ``source_id``, ``name``, ``text`` (stored as ``sources/<guid>.txt``,
      UTF-8 without BOM, line breaks kept), optional ``description``.
    - ``codings``: ``source_id`` (or ``source`` by unique name), ``start``/``end`` as
      *code points* of the source text as given (the standard; convert NVivo imports with
      ``cp_start``/``cp_end``), ``code_id``, optional ``coder`` (user name) or ``coder_id``,
      ``selection_id``, ``coding_id``, and ``text`` (checked against the source when
      present). One PlainTextSelection per distinct (source, start, end), in order of first
      appearance, holding one Coding per row.
    - ``users``: ``user_id``, ``name``; coders not listed get ``stable_guid("user", name)``.
    - ``cases``: ``case_id``, ``name``, one column per variable, ``source_ids`` (or
      ``sources`` by name), semicolon-separated; ``variables``: ``name``, optional
      ``variable_id``, ``type`` (Text by default), ``description``. Without ``variables``
      every extra case column becomes a Text variable.

    The zip members carry ``source_date_epoch`` (default: the ``SOURCE_DATE_EPOCH``
    environment variable) as their time. Missing ids are filled with :func:`stable_guid`.
    Every problem is collected and raised
    as one :class:`QdpxError`; nothing is written then. The archive is written to a
    temporary file and renamed into place. Returns the path.
    """
    target = Path(path)
    problems: list[str] = []
    required = {
        "codebook": (codebook, ("code_id", "name")),
        "sources": (sources, ("source_id", "name", "text")),
        "codings": (codings, ("start", "end", "code_id")),
        "cases": (cases, ("case_id",)),
        "variables": (variables, ("name",)),
        "users": (users, ("user_id",)),
    }
    for label, (frame, needed) in required.items():
        if frame is not None:
            missing = [c for c in needed if c not in frame.columns]
            if label == "codings" and not {"source_id", "source"} & set(frame.columns):
                missing.append("source_id or source")
            if missing:
                problems.append(f"the {label} table lacks column(s) {', '.join(missing)}")
    if problems:
        raise QdpxError(target, problems)
    plan = _plan_export(codebook, sources, codings, cases, variables, users, problems)
    project_name = name if name is not None else target.stem
    if _XML_INVALID.search(project_name) or _XML_INVALID.search(origin):
        problems.append("project name or origin contains a character XML 1.0 cannot carry")
    if problems:
        raise QdpxError(target, problems)
    date_time = _zip_date_time(source_date_epoch)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        with zf.open(_zip_info(QDE_MEMBER, date_time), "w") as raw:
            buffer: list[str] = []
            size = 0
            for chunk in _project_xml(plan, project_name, origin):
                buffer.append(chunk)
                size += len(chunk)
                if size > 1 << 20:
                    raw.write("".join(buffer).encode("utf-8"))
                    buffer, size = [], 0
            raw.write("".join(buffer).encode("utf-8"))
        for sid, _, text, _ in sorted(plan.sources, key=lambda s: s[0]):
            zf.writestr(_zip_info(f"sources/{sid}.txt", date_time), text.encode("utf-8"))
    return target


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m analysis.qdpx PROJECT.qdpx OUTDIR [--validate]``.

    Writes the CSV tables; on a :class:`QdpxError` prints every problem to stderr and
    exits with status 2 (like a usage error, so make and Snakemake stop).
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis.qdpx",
        description="Import a REFI-QDA .qdpx project into codebook.csv, codings.csv and cases.csv.",
    )
    parser.add_argument("project", type=Path, help="the .qdpx file")
    parser.add_argument("outdir", type=Path, help="directory for the CSV tables")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="also validate project.qde against the REFI-QDA schema (Project-mrt2019.xsd)",
    )
    args = parser.parse_args(argv)
    try:
        project = read_qdpx(args.project, validate=args.validate)
        written = write_tables(project, args.outdir)
    except QdpxError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for warning in project.warnings:
        print(f"warning: {project.path}: {warning}", file=sys.stderr)
    conventions = sorted(set(project.offset_convention.values()) - {""})
    print(
        f"{project.path}: {len(project.codebook)} codes, {len(project.codings)} codings, "
        f"{len(project.cases)} cases; offsets {', '.join(conventions) or 'n/a'}; wrote "
        + ", ".join(str(p) for p in written)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
