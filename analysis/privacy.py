"""Privacy gate: scan every string an input can carry toward an output; stop on any hit.

Two of the thesis studies rest on interview and focus-group transcripts, which are personal
data, so nothing is cleaned, tallied or rendered while an input still holds something that
identifies a person. The detectors (what counts as an identifier) live in
:mod:`analysis.identifiers`; this module decides *what is scanned* and reports.

Scanned by construction, not by list (the gate runs on the raw inputs, before the clean step,
so no check that quotes values has run yet):

- every cell of every column of every input sheet (CSV or XLSX), the header row included,
  except cells of a column whose JSON schema (``workflow/schemas/``) makes it a closed
  vocabulary (``enum``) or a bounded number *and* whose value is one of those;
- every attribute and every text of a REFI-QDA ``project.qde`` (users, sources and their
  names, cases, variables and values, codes, descriptions, notes, sets, project name...),
  except attributes whose XSD type is a guid, number, date, boolean, colour or enumeration
  *and* whose value has that form (see :mod:`analysis.privacy_qdpx`);
- every field of the imported REFI-QDA model (:class:`analysis.qdpx.QdpxProject`): the source
  texts and anything the model holds that the XML scan did not already see.

A finding never carries the identifier itself, only a masked form, and locations name rows,
columns and elements (values in them go through :func:`analysis.masking.mask`), so the gate's
own error message and record cannot leak what they protect. The record holds counts only.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import identifiers
from analysis.identifiers import KINDS
from analysis.masking import mask

__all__ = [
    "HINT",
    "KINDS",
    "Finding",
    "PrivacyError",
    "check",
    "closed_values",
    "is_identifier_free",
    "load_name_list",
    "public_config",
    "scan_frame",
    "scan_inputs",
    "scan_located",
    "scan_sheet",
    "scan_text",
    "scan_texts",
    "summary_record",
]

HINT = (
    "Remove or pseudonymise these identifiers in the source data; "
    "the build was stopped before anything was cleaned or rendered."
)
_MAX_LISTED = 200
_NATURAL_SPLIT_RE = re.compile(r"(\d+)")
_NUMBER_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


@dataclass(frozen=True)
class Finding:
    """One suspected personal identifier at one place.

    ``masked`` is all the reporter ever sees of the hit; ``start``/``end`` are offsets in
    the scanned string so that a fixing tool can locate the hit without it being printed.
    """

    file: str
    location: str
    kind: str
    masked: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}; expected one of {KINDS}")

    def message(self) -> str:
        """One report line, e.g. ``data/x.csv: row 12, column text: phone ******45``."""
        where = ": ".join(part for part in (self.file, self.location) if part)
        body = f"{self.kind} {self.masked}"
        return f"{where}: {body}" if where else body


class PrivacyError(RuntimeError):
    """Raised by :func:`check` so the DAG stops before any output is made."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings: tuple[Finding, ...] = tuple(sorted(findings, key=_sort_key))
        super().__init__(_report(self.findings))


# --------------------------------------------------------------------------------------
# Scanning strings
# --------------------------------------------------------------------------------------


def _pattern(names: Sequence[str] | re.Pattern[str] | None) -> re.Pattern[str] | None:
    if names is None or isinstance(names, re.Pattern):
        return names
    return identifiers.compile_names(names)


def _findings(
    text: str, pattern: re.Pattern[str] | None, file: str, location: str
) -> list[Finding]:
    return [
        Finding(file, location, h.kind, h.masked, h.start, h.end)
        for h in identifiers.scan(text, pattern)
    ]


def scan_text(text: str, *, names: Sequence[str] = ()) -> list[Finding]:
    """Identifiers in one string (``file`` and ``location`` empty: a bare string has neither).

    ``start``/``end`` are offsets into ``text`` as given, although matching ran on its
    normalised form (:func:`analysis.identifiers.fold`).
    """
    return _findings(text, _pattern(names), "", "")


def is_identifier_free(text: str, names: Sequence[str] = ()) -> bool:
    """True when :func:`scan_text` finds nothing: lets the synthetic-data generator prove
    it never emits a string the gate would stop."""
    return not scan_text(text, names=names)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def scan_located(
    items: Sequence[tuple[str, str, str]], pattern: re.Pattern[str] | None
) -> list[Finding]:
    """Scan ``(file, location, text)`` triples fast: each distinct text is folded and matched
    once, in one batch (:func:`analysis.identifiers.flag_texts`), and only the texts with a
    hit are scanned again for exact offsets."""
    distinct = list(dict.fromkeys(text for _, _, text in items))
    flagged = {distinct[i] for i in identifiers.flag_texts(distinct, pattern)}
    findings: list[Finding] = []
    for file, location, text in items:
        if text in flagged:
            findings.extend(_findings(text, pattern, file, location))
    return sorted(findings, key=_sort_key)


def scan_texts(
    items: Iterable[tuple[str, str, str]], *, names: Sequence[str] = ()
) -> list[Finding]:
    """Scan ``(file_label, location, text)`` triples; missing texts are skipped."""
    kept = [(f, loc, str(t)) for f, loc, t in items if not _is_missing(t)]
    return scan_located(kept, _pattern(names))


def scan_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    file_label: str,
    *,
    names: Sequence[str] | re.Pattern[str] = (),
    row_offset: int = 2,
) -> list[Finding]:
    """Scan columns of a table read from ``file_label``.

    Location is ``row N, column C`` with N the spreadsheet row of the record (header = row 1,
    so the first data row is ``row_offset`` = 2), counted by position, not by index label.
    Missing values are skipped; other values are scanned as ``str(value)``. A column that is
    not in the frame raises KeyError: skipping a misspelt column would pass without looking.
    """
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of column names, not a single string")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{file_label}: columns not found: {', '.join(map(str, missing))}")
    items = [
        (file_label, f"row {position + row_offset}, column {column}", str(value))
        for column in columns
        for position, value in enumerate(df[column].tolist())
        if not _is_missing(value)
    ]
    return scan_located(items, _pattern(names))


def load_name_list(path: str | Path) -> list[str]:
    """Read the private list of participants' real names (one per line, UTF-8).

    ``#`` starts a comment (names never contain ``#``); blank lines are ignored; names are
    NFC-normalised and de-duplicated case-insensitively. The list is only ever used for
    matching and must never be copied into an output.
    """
    seen: set[str] = set()
    names: list[str] = []
    # utf-8-sig: lists saved from Windows editors start with a BOM.
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        name = unicodedata.normalize("NFC", line.split("#", 1)[0]).strip()
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


# --------------------------------------------------------------------------------------
# Input sheets
# --------------------------------------------------------------------------------------


def closed_values(prop: Mapping[str, Any]) -> frozenset[str] | tuple[float, float] | None:
    """What a schema property admits without scanning, or None when it is free text.

    An ``enum`` (also of a multi-valued column's items) gives the allowed values, casefolded;
    a number with both ``minimum`` and ``maximum`` gives that range. A number without both
    bounds is scanned: an 11-digit identity number is a valid count.
    """
    items = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
    enum = prop.get("enum") or items.get("enum")
    if enum:
        return frozenset(str(v).casefold() for v in enum)
    if prop.get("type") in ("integer", "number") and "minimum" in prop and "maximum" in prop:
        return (float(prop["minimum"]), float(prop["maximum"]))
    return None


def _is_closed(value: str, closed: frozenset[str] | tuple[float, float] | None) -> bool:
    if closed is None:
        return False
    text = value.strip()
    if isinstance(closed, tuple):
        return _NUMBER_RE.fullmatch(text) is not None and closed[0] <= float(text) <= closed[1]
    parts = [p.strip().casefold() for p in text.split(";")]
    return all(p in closed for p in parts if p)


def _header_key(name: str) -> str:
    """Header names compare like the validator's: case, spacing and NFC do not matter."""
    return re.sub(r"[\s_]+", "_", unicodedata.normalize("NFC", name).strip().casefold())


def _sheet_frame(path: Path, label: str) -> pd.DataFrame:
    """Every row of a CSV (UTF-8) or of the first XLSX worksheet, every cell as text.

    Deliberately forgiving (the validator reports structure later, masked), but a file the
    gate cannot read is refused, never skipped. Rows keep their spreadsheet numbers (blank
    lines included). pandas' C parser reads a regular sheet; a ragged or broken one (an
    unclosed quote) is read again by the ``csv`` module, which keeps every cell.
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # any reason: the gate fails closed
            raise GateError(
                f"{label}: cannot be read as an .xlsx workbook ({type(exc).__name__})"
            ) from None
        try:
            rows = [
                ["" if v is None else str(v) for v in row]
                for row in workbook.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            workbook.close()
        return _frame(rows)
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise GateError(
            f"{label}: is not UTF-8 text, so the privacy gate cannot scan it (save it as UTF-8)"
        ) from None
    try:
        return pd.read_csv(
            io.BytesIO(data.replace(b"\x00", b" ")), header=None, dtype=str,
            keep_default_na=False, na_filter=False, skip_blank_lines=False,
            encoding="utf-8-sig", engine="c",
        )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        text = data.decode("utf-8-sig").replace("\x00", " ")
        return _frame(list(csv.reader(io.StringIO(text, newline=""))))


def _frame(rows: list[list[str]]) -> pd.DataFrame:
    """Rows of unequal length as one frame of text, short rows padded with empty cells."""
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=str)


class GateError(RuntimeError):
    """An input the gate cannot read: the build stops (the message names no value)."""


def _column_label(index: int, header: str, known: Mapping[str, str]) -> str:
    key = _header_key(header)
    if key in known:
        return known[key]
    return f"{index + 1} ({mask(header)})" if header.strip() else str(index + 1)


def scan_sheet(
    path: str | Path, schema: Mapping[str, Any], label: str, pattern: re.Pattern[str] | None
) -> tuple[list[Finding], int]:
    """Scan every cell of an input sheet (see the module docstring); return findings and the
    number of cells scanned. Rows are spreadsheet rows (header = row 1).

    Column by column and each distinct value once: a million-row sheet repeats its authors,
    countries and labels, and building a location for every cell would cost more than the
    scan itself. Locations are made only for the cells with a hit.
    """
    values = _sheet_frame(Path(path), label).to_numpy(dtype=object)
    start = next((r for r, row in enumerate(values) if any(str(c).strip() for c in row)), 0)
    header = [str(h) for h in values[start]] if len(values) else []
    props = schema.get("properties", {})
    known = {_header_key(name): name for name in props}
    items = [
        (label, f"row {start + 1}, header of column {i + 1}", h)
        for i, h in enumerate(header)
        if h.strip() and _header_key(h) not in known
    ]
    findings = scan_located(items, pattern)
    scanned = len(items)
    for i in range(values.shape[1] if values.ndim == 2 else 0):
        column = values[start + 1 :, i].tolist()
        name = header[i] if i < len(header) else ""
        key = _header_key(name)
        closed = closed_values(props[known[key]]) if key in known else None
        counts = Counter(column)
        counts.pop("", None)
        open_values = [v for v in counts if not _is_closed(v, closed)]
        scanned += sum(counts[v] for v in open_values)
        flagged = {open_values[j] for j in identifiers.flag_texts(open_values, pattern)}
        if not flagged:
            continue
        where = _column_label(i, name, known)
        for offset, value in enumerate(column):
            if value in flagged:
                location = f"row {start + offset + 2}, column {where}"
                findings += _findings(value, pattern, label, location)
    return sorted(findings, key=_sort_key), scanned


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------


def _natural_key(value: str) -> tuple[tuple[int, int | str], ...]:
    """Sort ``row 9`` before ``row 10``."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in _NATURAL_SPLIT_RE.split(value)
        if part
    )


def _sort_key(f: Finding) -> tuple[Any, ...]:
    return (f.file, _natural_key(f.location), f.start, f.end, KINDS.index(f.kind))


def _kind_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.kind for f in findings)
    return {kind: counts[kind] for kind in KINDS}


def _report(findings: Sequence[Finding]) -> str:
    files = {f.file for f in findings}
    lines = [
        f"Privacy gate: {len(findings)} possible personal identifier(s) in {len(files)} file(s):"
    ]
    ordered = sorted(findings, key=_sort_key)
    lines.extend(f"  {f.message()}" for f in ordered[:_MAX_LISTED])
    if len(ordered) > _MAX_LISTED:
        lines.append(f"  ... and {len(ordered) - _MAX_LISTED} more")
    per_kind = ", ".join(f"{k}: {n}" for k, n in _kind_counts(findings).items() if n)
    lines.append(f"Findings per kind: {per_kind}")
    lines.append(HINT)
    return "\n".join(lines)


def check(findings: Iterable[Finding]) -> None:
    """Raise :class:`PrivacyError` if there is any finding; return silently otherwise."""
    findings = list(findings)
    if findings:
        raise PrivacyError(findings)


def summary_record(findings: Iterable[Finding], scanned: dict[str, int]) -> dict[str, Any]:
    """A JSON-serialisable pass/fail record for ``results/privacy/``.

    Counts only (texts scanned per file, findings per kind and per file), never identifiers,
    masked values or offsets: the record is a build output and may be published. No
    timestamp either, so a rebuild from the same data gives the same bytes.
    """
    findings = list(findings)
    for file_label, count in scanned.items():
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"scanned[{file_label!r}] must be a non-negative int")
    files = sorted(set(scanned) | {f.file for f in findings})
    by_file: dict[str, dict[str, Any]] = {}
    for file_label in files:
        file_findings = [f for f in findings if f.file == file_label]
        by_file[file_label] = {
            "texts_scanned": int(scanned.get(file_label, 0)),
            "findings": len(file_findings),
            "findings_by_kind": {k: n for k, n in _kind_counts(file_findings).items() if n},
        }
    return {
        "check": "privacy",
        "status": "fail" if findings else "pass",
        "files_scanned": len(scanned),
        "texts_scanned": sum(int(n) for n in scanned.values()),
        "findings_total": len(findings),
        "findings_by_kind": _kind_counts(findings),
        "files": by_file,
    }


def public_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as it may appear in outputs and reports.

    In private mode the paths to the authors' data folder and names list are replaced by
    ``<private>``: where the confidential data live (often a folder named after a person
    or project) is not something a report should carry. Configured coder labels are public
    by definition; the names they replace are not, so only the labels are kept.
    """
    public = dict(config)
    privacy = dict(public.get("privacy") or {})
    if public.get("mode") == "private":
        public["data_dir"] = "<private>"
        if privacy.get("names_file"):
            privacy["names_file"] = "<private>"
    if privacy.get("coder_labels"):
        privacy["coder_labels"] = sorted(privacy["coder_labels"].values())
    if "privacy" in public:
        public["privacy"] = privacy
    return public


# --------------------------------------------------------------------------------------
# The gate over all inputs
# --------------------------------------------------------------------------------------

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "workflow" / "schemas"


def _file_label(path: str, data_dir: str) -> str:
    """An absolute path is the authors' private folder: name the file, not the folder."""
    if data_dir and Path(path).is_absolute():
        try:
            return f"<data_dir>/{Path(path).relative_to(data_dir).as_posix()}"
        except ValueError:
            return f"<private>/{Path(path).name}"
    return str(path)


def scan_inputs(
    inputs: Mapping[str, str],
    *,
    names: Sequence[str] = (),
    data_dir: str = "",
    schema_dir: str | Path = SCHEMA_DIR,
) -> tuple[list[Finding], dict[str, int]]:
    """Scan every raw input; return the findings and the number of texts scanned per file.

    ``inputs`` maps ``<study>_<kind>`` (``study1_extraction``, ``study2_qdpx``,
    ``study3_segments``...) or a bare kind (``stage_map``) to a file; the kind names the row
    schema (``workflow/schemas/<kind>.schema.json``), or ``qdpx`` a REFI-QDA project.
    """
    from analysis import privacy_qdpx
    from analysis.qdpx import read_qdpx

    pattern = identifiers.compile_names(names)
    findings: list[Finding] = []
    scanned: dict[str, int] = {}
    for key, path in sorted(inputs.items()):
        label = _file_label(path, data_dir)
        kind = key.split("_", 1)[1] if re.fullmatch(r"study[0-9]+_.+", key) else key
        if kind == "qdpx":
            # the reader first: it refuses unsafe or broken archives with masked messages
            project = read_qdpx(path)
            try:
                items = privacy_qdpx.xml_items(path, label)
            except Exception as exc:  # fail closed, naming the file but no content
                raise GateError(
                    f"{label}: project.qde cannot be scanned ({type(exc).__name__})"
                ) from None
            seen = {text for _, _, text in items}
            items += privacy_qdpx.model_items(project, label, seen)
            findings += scan_located(items, pattern)
            scanned[label] = len(items)
        else:
            schema = json.loads((Path(schema_dir) / f"{kind}.schema.json").read_text("utf-8"))
            hits, count = scan_sheet(path, schema, label, pattern)
            findings += hits
            scanned[label] = count
    return findings, scanned
