"""Privacy gate: find personal identifiers in every text that can reach an output.

Two of the thesis studies rest on interview and focus-group transcripts, which are personal
data. The compendium therefore refuses to render anything while a segment text, quotation,
note, codebook description, case name or participant label still contains something that
identifies a person. This module holds the pure logic of that gate; the Snakemake rule that
reads the files and writes ``results/privacy/`` lives elsewhere.

Detected kinds (see :data:`KINDS`):

``fodselsnummer`` / ``d-number`` / ``h-number``
    Norwegian national identity numbers: 11 digits (optionally ``DDMMYY NNNNN`` with one
    space, dot or hyphen) whose two mod-11 control digits are right and whose first six
    digits form a date once the D (+40 on the day), H (+40 on the month) and synthetic test
    (+80 on the month, Skatteetaten's Tenor) offsets are removed. Checksums come from
    :mod:`stdnum.no.fodselsnummer`; its ``is_valid`` is *not* used because it rejects Tenor
    numbers, numbers whose century it cannot infer and birth dates "in the future", all of
    which are still somebody's identifier (or indistinguishable from one).
``phone``
    Telephone numbers found by :class:`phonenumbers.PhoneNumberMatcher` (region ``NO``,
    leniency ``VALID``). Numbers written without an international prefix must also have a
    Norwegian grouping (``xxxxxxxx``, ``xxx xx xxx``, ``xx xx xx xx``) because the matcher
    alone happily accepts page ranges (``4550-4812``) and amounts (``41 000 000``).
``email``
    E-mail addresses (RFC 5322-ish dot-atom, Unicode letters allowed).
``name``
    Participants' real names from a private list (never stored in outputs), matched
    case-insensitively on NFC-normalised text, whole word, with flexible whitespace or
    hyphens between the parts of a multi-word name and an optional Norwegian genitive ``s``.

Findings never carry the identifier itself, only a masked form, so the gate's own error
message and summary record cannot leak what they are protecting.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
import phonenumbers
from stdnum.no import fodselsnummer

__all__ = [
    "KINDS",
    "Finding",
    "PrivacyError",
    "check",
    "is_identifier_free",
    "load_name_list",
    "scan_frame",
    "scan_text",
    "scan_texts",
    "summary_record",
]

#: Every kind a :class:`Finding` can have, in reporting order.
KINDS: tuple[str, ...] = ("fodselsnummer", "d-number", "h-number", "phone", "email", "name")

HINT = (
    "Remove or pseudonymise these identifiers in the source data; "
    "the build was stopped before anything was rendered."
)

# 6-digit birth date + 5-digit personal number, optionally split by ONE separator, and not
# part of a longer digit run (a 12-digit account number is not an identity number).
# ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic digits, which int() parses
# but no Norwegian register would print.
_ID_NUMBER_RE = re.compile(r"(?<![0-9])([0-9]{6})[ .\u00a0-]?([0-9]{5})(?![0-9])")

# Norwegian national groupings of an 8-digit number; the separator must be consistent,
# which rules out statistics such as ``22.33–44.55``.
_NO_NATIONAL_SHAPE_RE = re.compile(
    r"[0-9]{8}"
    r"|[0-9]{3}([ \u00a0.-])[0-9]{2}\1[0-9]{3}"
    r"|[0-9]{2}([ \u00a0.-])[0-9]{2}\2[0-9]{2}\2[0-9]{2}"
)
# A raw match that starts like this was written in international form (+47, 0047, (+47)).
_INTERNATIONAL_PREFIX_RE = re.compile(r"\(?(?:\+|00)")
# Every phone shape we accept contains at least 7 digits; cheaper than running the matcher.
_MIN_PHONE_DIGITS = 7

_EMAIL_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_EMAIL_RE = re.compile(
    rf"{_EMAIL_ATOM}(?:\.{_EMAIL_ATOM})*"
    r"@"
    r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+"
    r"[^\W\d_]{2,63}(?!\w)"
)

# Separators allowed between the parts of a multi-word or hyphenated name.
_NAME_PART_SPLIT_RE = re.compile(r"[\s\-\u2010\u2011]+")
_NAME_PART_JOIN = r"[\s\-\u2010\u2011]+"

_NATURAL_SPLIT_RE = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Finding:
    """One suspected personal identifier.

    ``masked`` is all the reporter ever sees of the hit, so a log or CI transcript of a
    failed build does not itself become personal data. ``start``/``end`` are offsets in
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
    """Raised by :func:`check` so the DAG stops before any output is rendered."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings: tuple[Finding, ...] = tuple(sorted(findings, key=_sort_key))
        super().__init__(_report(self.findings))


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------


def _mask_tail(value: str, keep: int = 2) -> str:
    """Keep the last ``keep`` characters: enough to find the hit, too little to reuse it."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def _mask_name(value: str) -> str:
    """First letter only: tells the reader which name was hit without repeating it."""
    return value[:1] + "*" * (len(value) - 1)


# --------------------------------------------------------------------------------------
# Norwegian identity numbers
# --------------------------------------------------------------------------------------


def _identity_number_kind(digits: str) -> str | None:
    """Return the kind of an 11-digit identity number, or None if it is not one.

    The control digits are computed by :mod:`stdnum.no.fodselsnummer`
    (``calc_check_digit1``/``2`` return ``"10"`` where no valid digit exists, so such
    numbers never compare equal). The date test is ours: it removes the D (+40 day),
    H (+40 month) and Tenor (+80 month) offsets and accepts any century, because a
    checksum-valid number with a plausible date must be treated as real whatever year it
    would decode to.
    """
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit():
        return None
    if fodselsnummer.calc_check_digit1(digits[:9]) != digits[9]:
        return None
    if fodselsnummer.calc_check_digit2(digits[:10]) != digits[10]:
        return None

    day, month, year2 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    kind = "fodselsnummer"
    if 41 <= day <= 71:
        day -= 40
        kind = "d-number"
    if 81 <= month <= 92:  # synthetic test number (Tenor); reported as its base kind
        month -= 80
    elif 41 <= month <= 52:
        month -= 40
        if kind == "fodselsnummer":
            kind = "h-number"
    if not 1 <= month <= 12:
        return None
    # Two-digit years divisible by 4 are leap years in at least one possible century
    # (00 -> 2000), so 29 February is allowed for them.
    leap_proxy_year = 2000 if year2 % 4 == 0 else 2001
    if not 1 <= day <= calendar.monthrange(leap_proxy_year, month)[1]:
        return None
    return kind


def _scan_identity_numbers(text: str) -> list[Finding]:
    hits = []
    for match in _ID_NUMBER_RE.finditer(text):
        digits = match.group(1) + match.group(2)
        kind = _identity_number_kind(digits)
        if kind is not None:
            hits.append(Finding("", "", kind, _mask_tail(digits), match.start(), match.end()))
    return hits


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------


def _is_accepted_phone(raw: str, number: phonenumbers.PhoneNumber) -> bool:
    """Whether a matcher hit is written like a phone number rather than like prose.

    International notation is explicit enough to trust the matcher (and foreign numbers
    identify people just as well). National notation must be a Norwegian 8-digit grouping.
    """
    if _INTERNATIONAL_PREFIX_RE.match(raw):
        return True
    return number.country_code == 47 and _NO_NATIONAL_SHAPE_RE.fullmatch(raw) is not None


def _scan_phones(text: str) -> list[Finding]:
    if sum(ch.isdigit() for ch in text) < _MIN_PHONE_DIGITS:
        return []
    hits = []
    matcher = phonenumbers.PhoneNumberMatcher(text, "NO", leniency=phonenumbers.Leniency.VALID)
    for match in matcher:
        if _is_accepted_phone(match.raw_string, match.number):
            compact = "".join(ch for ch in match.raw_string if ch.isdigit() or ch == "+")
            hits.append(Finding("", "", "phone", _mask_tail(compact), match.start, match.end))
    return hits


# --------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------


def _scan_emails(text: str) -> list[Finding]:
    return [
        Finding("", "", "email", _mask_tail(m.group(0)), m.start(), m.end())
        for m in _EMAIL_RE.finditer(text)
    ]


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


def _compile_names(names: Sequence[str]) -> re.Pattern[str] | None:
    """One alternation for all names, longest first so a full name beats its first name.

    Compiled once per :func:`scan_frame`/:func:`scan_texts` call rather than per text.
    """
    if isinstance(names, str):
        # A bare string is a Sequence[str] of single letters, which would flag every text.
        raise TypeError("names must be a sequence of names, not a single string")
    alternatives: dict[str, str] = {}
    for name in names:
        parts = [p for p in _NAME_PART_SPLIT_RE.split(unicodedata.normalize("NFC", name)) if p]
        if parts:
            key = " ".join(parts).casefold()
            alternatives.setdefault(key, _NAME_PART_JOIN.join(re.escape(p) for p in parts))
    if not alternatives:
        return None
    ordered = sorted(alternatives.values(), key=len, reverse=True)
    # (?<!\w)/(?!\w) give whole words in Unicode (\b would too, but is confused by names
    # that start or end with punctuation such as an apostrophe). The optional "s" is the
    # Norwegian genitive ("Olas mor", "Åses"), which is still the name.
    return re.compile(rf"(?<!\w)(?:{'|'.join(ordered)})s?(?!\w)", re.IGNORECASE)


def _nfc_with_offsets(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """NFC-normalise ``text`` and map each normalised character back to the original.

    Returns ``(normalised, starts, ends)``; ``starts``/``ends`` are None when the text was
    already NFC (the usual case), meaning offsets are unchanged. Normalisation is done per
    starter + combining-marks cluster, which equals full NFC for Latin script.
    """
    if unicodedata.is_normalized("NFC", text):
        return text, None, None
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    cluster_start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or unicodedata.combining(text[i]) == 0:
            piece = unicodedata.normalize("NFC", text[cluster_start:i])
            out.append(piece)
            starts.extend([cluster_start] * len(piece))
            ends.extend([i] * len(piece))
            cluster_start = i
    return "".join(out), starts, ends


def _scan_names(text: str, pattern: re.Pattern[str] | None) -> list[Finding]:
    if pattern is None or not text:
        return []
    normalised, starts, ends = _nfc_with_offsets(text)
    hits = []
    for m in pattern.finditer(normalised):
        start, end = m.start(), m.end()
        if starts is not None and ends is not None:
            start, end = starts[start], ends[end - 1]
        hits.append(Finding("", "", "name", _mask_name(m.group(0)), start, end))
    return hits


# --------------------------------------------------------------------------------------
# Public scanning API
# --------------------------------------------------------------------------------------


def _scan(text: str, name_pattern: re.Pattern[str] | None) -> list[Finding]:
    """Run every detector; on overlap keep the more specific kind.

    Priority: identity numbers > e-mail > phone > name, so an identity number is not also
    reported as a phone number and a name inside an address is reported once, as e-mail.
    """
    accepted: list[Finding] = []
    for hits in (
        _scan_identity_numbers(text),
        _scan_emails(text),
        _scan_phones(text),
        _scan_names(text, name_pattern),
    ):
        for hit in hits:
            if not any(hit.start < other.end and other.start < hit.end for other in accepted):
                accepted.append(hit)
    return sorted(accepted, key=lambda f: (f.start, f.end))


def scan_text(text: str, *, names: Sequence[str] = ()) -> list[Finding]:
    """Find personal identifiers in one string.

    Returns findings with empty ``file`` and ``location`` (a bare string has neither);
    :func:`scan_frame` and :func:`scan_texts` fill them in. ``start``/``end`` are offsets
    into ``text`` as given, even when names were matched on its NFC form.
    """
    return _scan(text, _compile_names(names))


def is_identifier_free(text: str, names: Sequence[str] = ()) -> bool:
    """True when :func:`scan_text` finds nothing: lets the synthetic-data generator prove
    it never emits a string the gate would stop."""
    return not scan_text(text, names=names)


def load_name_list(path: str | Path) -> list[str]:
    """Read the private list of participants' real names (one per line, UTF-8).

    ``#`` starts a comment (names never contain ``#``); blank lines are ignored; names are
    NFC-normalised and de-duplicated case-insensitively. The list is only ever used for
    matching and must never be copied into an output.
    """
    seen: set[str] = set()
    names: list[str] = []
    # utf-8-sig: lists saved from Windows editors start with a BOM that would otherwise
    # become part of the first name and stop it from matching.
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        name = unicodedata.normalize("NFC", line.split("#", 1)[0]).strip()
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


#: The columns of each clean table the gate scans (tables named by their key's suffix).
SCANNED_COLUMNS: dict[str, tuple[str, ...]] = {
    "participants": ("participant_id", "label", "group", "session"),
    "codebook": ("theme", "subtheme", "code", "description"),
    "segments": ("text",),
    "articles": ("first_author", "country", "peer_title"),
}


def scan_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    file_label: str,
    *,
    names: Sequence[str] = (),
    row_offset: int = 2,
) -> list[Finding]:
    """Scan text columns of a table read from ``file_label``.

    Location is ``row N, column C`` with N the CSV line of the record (header = line 1, so
    the first data row is ``row_offset`` = 2), counted by position, not by index label, so
    it stays right after filtering or re-indexing. Missing values are skipped; other
    non-string values are scanned as ``str(value)`` (read CSVs with ``dtype=str``: an
    identity number parsed as an integer has lost its leading zero).

    A column that is not in the frame raises KeyError: silently skipping a misspelt column
    would let the gate pass without having looked.
    """
    if isinstance(columns, str):
        raise TypeError("columns must be a sequence of column names, not a single string")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{file_label}: columns not found: {', '.join(map(str, missing))}")
    pattern = _compile_names(names)
    findings: list[Finding] = []
    for column in columns:
        for position, value in enumerate(df[column].tolist()):
            if _is_missing(value):
                continue
            text = value if isinstance(value, str) else str(value)
            location = f"row {position + row_offset}, column {column}"
            findings.extend(
                replace(hit, file=file_label, location=location) for hit in _scan(text, pattern)
            )
    return sorted(findings, key=_sort_key)


def project_texts(project: Any, file_label: str) -> list[tuple[str, str, str]]:
    """Every text of a REFI-QDA project (:class:`analysis.qdpx.QdpxProject`) for scanning.

    Whole transcripts, not only the coded spans: an identifier in uncoded talk is still
    personal data in the project, and a later recoding could pull it into a quotation.
    Locations name the element (``TextSource FG1``, ``Case M01``, ``Code …``), never a value.
    """
    items = [(file_label, f"TextSource {s.name} ({s.source_id})", s.text)
             for s in project.sources.itertuples(index=False)]
    items += [(file_label, f"Code {c.code_id}", str(c.name))
              for c in project.codebook.itertuples(index=False)]
    fixed = {"case_id", "source_ids", "sources", "selection_ids"}
    for case in project.cases.to_dict("records"):
        for column, value in case.items():
            if column not in fixed and isinstance(value, str) and value:
                items.append((file_label, f"Case {case['case_id']} {column}", value))
    items += [(file_label, f"{d.kind} {d.guid} Description", d.description)
              for d in project.descriptions.itertuples(index=False)]
    return items


def public_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration as it may appear in outputs and reports.

    In private mode the paths to the authors' data folder and names list are replaced by
    ``<private>``: where the confidential data live (often a folder named after a person
    or project) is not something a report should carry.
    """
    public = dict(config)
    if public.get("mode") == "private":
        public["data_dir"] = "<private>"
        if (public.get("privacy") or {}).get("names_file"):
            public["privacy"] = {**public["privacy"], "names_file": "<private>"}
    return public


def scan_texts(
    items: Iterable[tuple[str, str, str]], *, names: Sequence[str] = ()
) -> list[Finding]:
    """Scan ``(file_label, location, text)`` triples, e.g. ``.qdpx`` elements by guid."""
    pattern = _compile_names(names)
    findings: list[Finding] = []
    for file_label, location, text in items:
        if _is_missing(text):
            continue
        findings.extend(
            replace(hit, file=file_label, location=location) for hit in _scan(text, pattern)
        )
    return sorted(findings, key=_sort_key)


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
    lines.extend(f"  {f.message()}" for f in sorted(findings, key=_sort_key))
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

    It holds counts only (texts scanned per file, findings per kind and per file), never
    identifiers, masked values or offsets: the record is a build output and may be
    published. No timestamp either, so a rebuild from the same data gives the same bytes.
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
