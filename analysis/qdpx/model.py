"""The REFI-QDA data model as the importer returns it, and the names shared by every part.

Why a module of its own: the reader, the writer, the privacy gate (which enumerates every
free-text field of :class:`QdpxProject`) and the STC tables all depend on these names, and
none of them should have to import the parser to get them.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.masking import mask
from analysis.problems import ProblemsError

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "Project-mrt2019.xsd"
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

CODEBOOK_API_COLUMNS = (*CODEBOOK_COLUMNS, "description", "color")
CODINGS_API_COLUMNS = (
    *CODINGS_COLUMNS,
    "coding_id",
    "source_id",
    "coder_id",
    "cp_start",
    "cp_end",
)
CASES_FIXED = ("case_id", "name")
RESERVED_CASE_COLUMNS = frozenset((*CASES_FIXED, *CASES_SOURCE_COLUMNS, "description"))
SOURCE_ELEMENTS = frozenset(
    ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")
)
VALUE_ELEMENTS = {
    "TextValue": "Text",
    "BooleanValue": "Boolean",
    "IntegerValue": "Integer",
    "FloatValue": "Float",
    "DateValue": "Date",
    "DateTimeValue": "DateTime",
}
VARIABLE_TYPES = tuple(VALUE_ELEMENTS.values())
GUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Fixed namespace of stable_guid: changing it changes every generated guid.
_GUID_NAMESPACE = uuid.UUID("6f1c7a52-3d0e-5b8e-9a47-2f6f0d3c9b11")
MAX_LISTED_PROBLEMS = 200


class QdpxError(ProblemsError):
    """Every problem found in one ``.qdpx`` file, raised once.

    Why: a coded project is usually broken in several places at once (a deleted code still
    referenced by many codings, a missing transcript); listing all of them in one go saves
    round trips to the CAQDAS tool. ``problems`` holds one message per problem, each
    prefixed with the file name; ``str()`` lists them (the first 200 when there are more).
    Input text quoted in a problem has gone through :func:`analysis.masking.mask`.
    """

    def __init__(self, path: str | os.PathLike[str], problems: Sequence[str]) -> None:
        self.path = str(path)
        lines = [f"{self.path}: {p}" for p in problems]
        super().__init__(
            lines,
            f"{len(lines)} problem(s) in {self.path}:",
            limit=MAX_LISTED_PROBLEMS,
            bullet="  - ",
        )


def quote(value: object) -> str:
    """Quote input text (a name, a path, a cell) for a message, masked.

    Why: the reader runs before the privacy gate, and its messages reach the terminal and
    the build logs; a source name or a case value may hold an identifier. GUIDs inside the
    text (``internal://<guid>.txt``) are machine-made and stay readable, so the element can
    be found; everything around them goes through :func:`analysis.masking.mask`.
    """
    text = str(value)
    parts: list[str] = []
    last = 0
    for match in GUID.finditer(text):
        if match.start() > last:
            parts.append(mask(text[last : match.start()], limit=80))
        parts.append(match.group())
        last = match.end()
    if last < len(text) or not parts:
        parts.append(mask(text[last:], limit=80))
    return "'" + "".join(parts) + "'"


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


def stable_guid(*parts: object) -> str:
    """Return a deterministic GUID (uuid5) for ``parts``.

    Why: exported projects must be byte-identical across runs, so identifiers cannot come
    from ``uuid4``; the same parts always give the same lowercase GUID.
    """
    key = "\x1f".join(str(p) for p in parts)
    return str(uuid.uuid5(_GUID_NAMESPACE, key))


def norm_guid(guid: str) -> str:
    """Canonical form for comparing GUIDs (case and braces do not matter)."""
    return guid.strip().strip("{}").lower()


def canonical_or_same(guid: str) -> str:
    """``norm_guid`` that returns the very same object when it is already canonical.

    Why: the duplicate check normalises every guid of a project; reusing the object for
    guids that are already canonical keeps that check from doubling their memory.
    """
    norm = norm_guid(guid)
    return guid if norm == guid else norm


def is_missing(value: object) -> bool:
    """True for None/NaN/NA, the ways pandas spells an empty cell."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def str_frame(
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
