"""Validate the hand-kept input sheets before any analysis runs.

The thesis is rebuilt from spreadsheets that authors keep by hand: the Study 1
extraction (charting) sheet, the PRISMA counts, and the participants, codebook
and coded segments of Studies 2 and 3.  A typo in one of them should stop the
pipeline with a message a spreadsheet user can act on, not surface three rules
later as a ``KeyError`` or, worse, as a silently wrong table in the thesis.  So
every table is checked here against a JSON Schema in ``workflow/schemas/`` and
every problem is reported with the file, the row (as a spreadsheet shows it:
header = row 1, first data row = row 2), the column, what was found and what
was expected.  All problems of a file are collected and raised together so an
author fixes the sheet in one pass rather than one error per run.

Besides standard JSON Schema keywords the row schemas carry a few annotations
that only this module reads:

``"x-multivalued": ";"``
    on an ``array`` column kept as one cell with values separated by ``;``;
    ``items.enum`` lists the allowed values.
``"x-unique": true``
    on an id column whose non-empty values must be unique in the table.
``"x-unique-together": [["stage", "item"]]``
    at the top level: combinations of columns that must be unique.
``"x-min-rows": 1``
    at the top level: the fewest data rows a usable table has.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "workflow" / "schemas"
"""Where the row schemas of the input tables live."""

MAX_LISTED = 50
"""How many problems ``str(InputError)`` spells out before summarising the rest."""

_MAX_SHOWN = 60
_LATIN1_LETTERS = frozenset("æøåÆØÅ")
_INTEGER = re.compile(r"[+-]?\d+")
_PLAIN_COLUMN = re.compile(r"[a-z][a-z0-9_]*")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located as a spreadsheet user sees it.

    ``found`` is already phrased for the reader (cell values in double quotes,
    descriptions such as ``an empty cell`` bare); when it is ``None`` the
    ``expected`` text is the whole statement (e.g. ``not expected`` for an
    unknown column).  ``hint`` carries a did-you-mean or a how-to-fix.
    """

    file: str
    row: int | None
    column: str | None
    found: str | None
    expected: str
    hint: str | None = None

    def message(self) -> str:
        """Render the problem as one line starting with the file path."""
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(_column_ref(self.column))
        head = f"{self.file}: {', '.join(where)}: " if where else f"{self.file}: "
        body = (
            self.expected
            if self.found is None
            else (f"found {self.found}, expected {self.expected}")
        )
        if self.hint:
            body = f"{body}; {self.hint}"
        return head + body


class InputError(ValueError):
    """Raised when input tables are unusable; ``.problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(_summarise([p.message() for p in self.problems], "in the input data"))


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a configuration mapping, located by its JSON path."""

    label: str
    path: str
    found: str | None
    expected: str
    hint: str | None = None

    def message(self) -> str:
        """Render the problem as one line starting with the config's label and JSON path."""
        body = (
            self.expected
            if self.found is None
            else (f"found {self.found}, expected {self.expected}")
        )
        if self.hint:
            body = f"{body}; {self.hint}"
        return f"{self.label}: {self.path}: {body}"


class ConfigError(ValueError):
    """Raised by :func:`validate_config`; ``.problems`` lists every problem found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems: list[ConfigProblem] = list(problems)
        super().__init__(_summarise([p.message() for p in self.problems], "in the configuration"))


def _summarise(lines: Sequence[str], where: str) -> str:
    """List problems one per line, capped so a broken sheet does not flood the log."""
    count = len(lines)
    noun = "problem" if count == 1 else "problems"
    shown = list(lines[:MAX_LISTED])
    if count > MAX_LISTED:
        shown.append(f"… and {count - MAX_LISTED} more")
    return "\n".join([f"{count} {noun} {where}:", *shown])


def _column_ref(column: str) -> str:
    """Name one column (``column year``) or several (``columns stage, item``)."""
    parts = column.split(", ")
    if len(parts) > 1 and all(_PLAIN_COLUMN.fullmatch(p) for p in parts):
        return f"columns {column}"
    return f"column {column}" if _PLAIN_COLUMN.fullmatch(column) else f"column {_show(column)}"


def _show(value: object) -> str:
    """Quote a found value for a message, escaping control characters and eliding long text."""
    text = str(value)
    if len(text) > _MAX_SHOWN:
        text = text[: _MAX_SHOWN - 1] + "…"
    if text.isprintable():
        return '"' + text.replace('"', '\\"') + '"'
    return json.dumps(text, ensure_ascii=False)


def _suggest(value: str, choices: Iterable[str]) -> str | None:
    """Return the closest choice to ``value`` (case-insensitive), if any is close enough."""
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(choice.casefold(), choice)
    match = difflib.get_close_matches(value.casefold(), list(by_key), n=1, cutoff=0.6)
    return by_key[match[0]] if match else None


def _did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """Phrase :func:`_suggest` as a hint."""
    best = _suggest(value, choices)
    return f'did you mean "{best}"?' if best is not None else None


# --------------------------------------------------------------------------- schemas


def load_schema(schema: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Load a row schema from a path (or take a dict) and check it is valid JSON Schema.

    A broken schema is a programming error, not an input problem, so it raises
    jsonschema's ``SchemaError`` rather than :class:`InputError`.
    """
    if isinstance(schema, Mapping):
        loaded = dict(schema)
    else:
        loaded = json.loads(Path(schema).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    return loaded


def schema_path(table: str, schema_dir: str | Path = SCHEMA_DIR) -> Path:
    """Path of the row schema of ``table`` (``extraction``, ``prisma``, ...)."""
    return Path(schema_dir) / f"{table}.schema.json"


def _columns(schema: Mapping[str, Any]) -> list[str]:
    return list(schema.get("properties", {}))


def _enum_of(prop: Mapping[str, Any]) -> list[str] | None:
    """Allowed values of a category column, or of each value of a multi-valued column."""
    if "x-multivalued" in prop:
        return prop.get("items", {}).get("enum")
    return prop.get("enum")


def _types_of(prop: Mapping[str, Any]) -> set[str]:
    kind = prop.get("type", "string")
    return {kind} if isinstance(kind, str) else set(kind)


def _describe(prop: Mapping[str, Any]) -> str:
    """Say in words what a cell of this column should hold."""
    enum = _enum_of(prop)
    if "x-multivalued" in prop:
        sep = prop["x-multivalued"]
        least = "one or more" if prop.get("minItems", 0) >= 1 else "zero or more"
        return f'{least} of: {", ".join(enum or [])} (separated by "{sep}")'
    if enum is not None:
        return f"one of: {', '.join(enum)}"
    types = _types_of(prop)
    if "integer" in types:
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and high is not None:
            return f"an integer between {low} and {high}"
        if low == 0:
            return "a non-negative integer"
        if low is not None:
            return f"an integer of at least {low}"
        if high is not None:
            return f"an integer of at most {high}"
        return "an integer"
    if "pattern" in prop:
        return f"text matching the pattern {prop['pattern']}"
    return "text"


def _with_description(text: str, prop: Mapping[str, Any]) -> str:
    description = prop.get("description")
    return f"{text} ({description})" if description else text


# --------------------------------------------------------------------------- raw reading


class _Raw(NamedTuple):
    """A table as read from disk, before any schema checks."""

    header: list[str]
    records: list[tuple[int, list[str]]]
    """(spreadsheet row number, fields) of every non-blank data row."""
    cut_short_row: int | None
    """Row number of the last record when the file ends without a newline."""


_RawResult = tuple[_Raw | None, list[Problem]]


def _tokenize(text: str) -> tuple[list[tuple[int, list[str]]], tuple[int, int] | None, bool]:
    """Split CSV text into records numbered as spreadsheet rows.

    Hand-rolled instead of ``csv``/pandas because both silently accept an
    unterminated quote (swallowing the rest of the file into one cell) and
    pandas pads a cut-short last row with empty cells; both must be reported.
    Returns the records (blank lines included, so numbering matches a
    spreadsheet), the (row, field index) of an unterminated quote if any, and
    whether the text ended with a line break.  ``\\r\\n`` and ``\\r`` count as
    line breaks; line breaks inside quoted cells become ``\\n``.
    """
    records: list[tuple[int, list[str]]] = []
    fields: list[str] = []
    buf: list[str] = []
    row = 1
    record_row = 1
    field_start = True
    in_quotes = False
    quote_at: tuple[int, int] | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if in_quotes:
            if ch == '"':
                if i + 1 < n and text[i + 1] == '"':
                    buf.append('"')
                    i += 2
                    continue
                in_quotes = False
            elif ch == "\r":
                buf.append("\n")
                if i + 1 < n and text[i + 1] == "\n":
                    i += 1
            else:
                buf.append(ch)
            i += 1
            continue
        if ch == '"' and field_start:
            in_quotes = True
            field_start = False
            quote_at = (record_row, len(fields))
        elif ch == ",":
            fields.append("".join(buf))
            buf = []
            field_start = True
        elif ch in "\r\n":
            fields.append("".join(buf))
            records.append((record_row, fields))
            fields, buf = [], []
            field_start = True
            row += 1
            record_row = row
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                i += 1
        else:
            buf.append(ch)
            field_start = False
        i += 1
    if in_quotes:
        return records, quote_at, False
    if fields or buf or not field_start:
        fields.append("".join(buf))
        records.append((record_row, fields))
        return records, None, False
    return records, None, True


def _decode(data: bytes, label: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without Excel's BOM), reporting each line with invalid bytes."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    data = data[bom:]
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    legacy = data.decode("cp1252", errors="replace")
    if any(ch in _LATIN1_LETTERS for ch in legacy):
        hint = "the file looks Latin-1/Windows-1252 encoded; save it as UTF-8"
    else:
        hint = "save the file as UTF-8 (in Excel: CSV UTF-8)"
    header_line = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    header = _tokenize(header_line)[0]
    names = header[0][1] if header else []
    problems = []
    offset = bom  # offsets count from the start of the file, BOM included
    end = bom + len(data)
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = line[exc.start : exc.start + 1]
            prefix = line[: exc.start].decode("utf-8", errors="replace")
            fields = _tokenize(prefix)[0]
            index = len(fields[-1][1]) - 1 if fields else 0
            column = names[index].strip() if index < len(names) and number > 1 else None
            problems.append(
                Problem(
                    label,
                    number,
                    column or None,
                    f"byte 0x{bad.hex().upper()} at byte offset {offset + exc.start} "
                    f"(line {number}) that is not valid UTF-8",
                    "UTF-8 text",
                    "the file ends in the middle of a character, so it looks truncated"
                    if exc.reason == "unexpected end of data" and offset + len(line) == end
                    else hint,
                )
            )
        offset += len(line) + 1
    return None, problems


def _read_csv(path: Path, label: str, schema: Mapping[str, Any]) -> _RawResult:
    """Read a CSV file into header and records, reporting structural problems."""
    data = path.read_bytes()
    expected_header = f"a header row with the columns: {', '.join(_columns(schema))}"
    if not data:
        return None, [Problem(label, None, None, "an empty file (0 bytes)", expected_header)]
    text, problems = _decode(data, label)
    if text is None:
        return None, problems
    records, open_quote, ends_with_newline = _tokenize(text)
    nonblank = [(row, fields) for row, fields in records if any(f.strip() for f in fields)]
    if not nonblank:
        return None, [
            Problem(label, None, None, "no header row (only blank lines)", expected_header)
        ]
    (header_row, header), *data_records = nonblank
    while header and not header[-1].strip():  # trailing empty columns, as Excel may export
        header = header[:-1]
    if header_row != 1:
        problems.append(
            Problem(
                label,
                header_row,
                None,
                f"{header_row - 1} blank line(s) before the header",
                "the header on row 1",
            )
        )
    if len(header) == 1 and ";" in header[0]:
        names = {_header_key(n) for n in header[0].split(";")}
        if len(names & {_header_key(c) for c in _columns(schema)}) >= 2:
            return None, [
                Problem(
                    label,
                    1,
                    None,
                    "columns separated by semicolons",
                    "comma-separated values",
                    'in Excel save as "CSV UTF-8 (Comma delimited)"',
                )
            ]
    if open_quote is not None:
        quote_row, quote_field = open_quote
        column = header[quote_field].strip() if quote_field < len(header) else None
        problems.append(
            Problem(
                label,
                quote_row,
                column or None,
                'a quote (") that opens a cell and is never closed',
                "a closing quote before the end of the file",
                'the file may be truncated, or a quote inside a cell should be doubled ("")',
            )
        )
    last_row = data_records[-1][0] if data_records else None
    cut_short = (
        last_row if (data_records and not ends_with_newline and open_quote is None) else None
    )
    return _Raw(header, data_records, cut_short), problems


def _xlsx_cell(value: object) -> str:
    """Turn an openpyxl cell value into the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _read_xlsx(path: Path, label: str, schema: Mapping[str, Any]) -> _RawResult:
    """Read the first worksheet of an XLSX workbook into header and records."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        reason = "not a zip archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)
        return None, [
            Problem(
                label,
                None,
                None,
                f"a file that is not a valid .xlsx workbook ({reason})",
                "an Excel workbook saved as .xlsx (or a UTF-8 CSV file)",
                "open it in Excel and save it again as .xlsx",
            )
        ]
    try:
        sheet = workbook.worksheets[0]
        rows = [
            (number, [_xlsx_cell(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), 1)
        ]
    finally:
        workbook.close()
    nonblank = [(row, fields) for row, fields in rows if any(f.strip() for f in fields)]
    if not nonblank:
        return None, [
            Problem(
                label,
                None,
                None,
                "an empty worksheet",
                f"a header row with the columns: {', '.join(_columns(schema))}",
            )
        ]
    (header_row, header), *data_records = nonblank
    problems = []
    if header_row != 1:
        problems.append(
            Problem(
                label,
                header_row,
                None,
                f"{header_row - 1} blank row(s) before the header",
                "the header on row 1",
            )
        )
    while header and not header[-1].strip():
        header = header[:-1]
    return _Raw(header, data_records, None), problems


# --------------------------------------------------------------------------- checks


def _header_key(name: str) -> str:
    """Key under which header names are compared: case, spacing and NFC do not matter."""
    return re.sub(r"[\s_]+", "_", unicodedata.normalize("NFC", name).strip().casefold())


def _map_header(
    header: Sequence[str], schema: Mapping[str, Any], label: str
) -> tuple[list[str | None], list[Problem]]:
    """Map each header cell to a schema column; report unknown, duplicate and missing columns.

    Case and whitespace differences are accepted silently because spreadsheet
    users do not see them; anything else gets a did-you-mean, preferring the
    required columns that are still missing.
    """
    columns = _columns(schema)
    by_key = {_header_key(c): c for c in columns}
    mapping: list[str | None] = [by_key.get(_header_key(name)) for name in header]
    present = {c for c in mapping if c is not None}
    missing = [c for c in schema.get("required", []) if c not in present]
    problems: list[Problem] = []
    suggested: set[str] = set()
    seen: dict[str, int] = {}
    for position, (name, column) in enumerate(zip(header, mapping, strict=True), start=1):
        if column is not None:
            if column in seen:
                problems.append(
                    Problem(
                        label,
                        1,
                        name.strip(),
                        None,
                        f"appears twice (header cells {seen[column]} and {position}); "
                        "expected each column once",
                    )
                )
            seen.setdefault(column, position)
            continue
        if not name.strip():
            problems.append(
                Problem(
                    label,
                    1,
                    None,
                    f"an empty header cell in position {position}",
                    "a column name",
                    f"expected columns: {', '.join(columns)}",
                )
            )
            continue
        # Only columns still missing are worth suggesting: pointing at a column
        # that is already in the header would send the author the wrong way.
        guess = _suggest(_header_key(name), [c for c in missing if c not in suggested])
        if guess is not None:
            # Check its cells as the column it most likely is, so that one run
            # reports both the header typo and the bad cells below it.
            mapping[position - 1] = guess
            suggested.add(guess)
            hint = f'did you mean "{guess}"? (required column "{guess}" is missing)'
        else:
            hint = f"remove or rename it; the expected columns are: {', '.join(columns)}"
        problems.append(Problem(label, 1, name, None, "not expected", hint))
    for column in missing:
        if column not in suggested:
            description = schema["properties"][column].get("description")
            problems.append(
                Problem(
                    label,
                    1,
                    column,
                    None,
                    "required column is missing from the header row",
                    f"it holds the {description}" if description else None,
                )
            )
    return mapping, problems


def _clean(text: str) -> str:
    """NFC-normalise and strip a cell; æ, ø, å typed decomposed become single letters."""
    return unicodedata.normalize("NFC", text).strip()


def _canonical_category(text: str, enum: Sequence[str]) -> str:
    """Collapse inner whitespace and fix letter case of a category value to the schema spelling."""
    collapsed = " ".join(text.split())
    for allowed in enum:
        if collapsed.casefold() == allowed.casefold():
            return allowed
    return collapsed


def _convert(raw: str, prop: Mapping[str, Any]) -> Any:
    """Turn a cell's text into the JSON value its schema validates (list, int, None or str)."""
    text = _clean(raw)
    enum = _enum_of(prop)
    if "x-multivalued" in prop:
        parts = [_clean(p) for p in text.split(prop["x-multivalued"])]
        return [_canonical_category(p, enum or []) for p in parts if p]
    if enum is not None:
        return _canonical_category(text, enum)
    if "integer" in _types_of(prop):
        if not text:
            return None
        return int(text) if _INTEGER.fullmatch(text) else text
    return text


def _cell_problem(
    error: ValidationError,
    row: int,
    raw: Mapping[str, str],
    schema: Mapping[str, Any],
    label: str,
) -> tuple[tuple[Any, ...], Problem]:
    """Translate one jsonschema error on a row into a Problem (plus a key to drop repeats)."""
    path = list(error.absolute_path)
    properties = schema.get("properties", {})
    if not path or path[0] not in properties:
        return (row, None, error.validator), Problem(label, row, None, None, error.message)
    column = path[0]
    prop = {**properties[column], **{k: v for k, v in error.schema.items() if k == "description"}}
    cell = _clean(raw.get(column, ""))
    keyword = error.validator
    if len(path) > 1:  # one value of a multi-valued cell
        value = error.instance
        enum = _enum_of(prop) or []
        alone = cell == str(value)
        found = _show(value) if alone else f"{_show(value)} in {_show(cell)}"
        return (row, column, path[1]), Problem(
            label,
            row,
            column,
            found,
            f"each value to be one of: {', '.join(enum)}",
            _did_you_mean(str(value), enum),
        )
    key = (row, column, None)
    empty = cell == ""
    if keyword == "uniqueItems":
        values = error.instance
        twice = sorted({v for v in values if values.count(v) > 1})
        return key, Problem(
            label,
            row,
            column,
            f"{_show(twice[0])} more than once in {_show(cell)}",
            "each value at most once",
        )
    if keyword in ("minLength", "minItems") or (empty and keyword == "type"):
        return key, Problem(
            label,
            row,
            column,
            "an empty cell",
            _describe(prop) if keyword != "minLength" else _with_description("a value", prop),
        )
    if keyword == "enum":
        enum = prop.get("enum", error.validator_value)
        return key, Problem(
            label,
            row,
            column,
            _show(cell),
            f"one of: {', '.join(enum)}",
            _did_you_mean(cell, enum),
        )
    if keyword == "pattern":
        return key, Problem(
            label,
            row,
            column,
            _show(cell),
            _with_description(f"text matching the pattern {error.validator_value}", prop),
        )
    if keyword in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return key, Problem(label, row, column, _show(cell), _describe(prop))
    return key, Problem(label, row, column, _show(cell), error.message)


def _unique_problems(
    rows: Sequence[int],
    values: Mapping[str, Sequence[Any]],
    schema: Mapping[str, Any],
    label: str,
) -> list[Problem]:
    """Report repeated ids and repeated column combinations, naming the first row used."""
    problems = []
    properties = schema.get("properties", {})
    groups = [[c] for c, p in properties.items() if p.get("x-unique")]
    groups += [list(g) for g in schema.get("x-unique-together", [])]
    for group in groups:
        if any(c not in values for c in group):
            continue
        first: dict[tuple[Any, ...], int] = {}
        for index, row in enumerate(rows):
            combo = tuple(values[c][index] for c in group)
            if len(group) == 1 and combo[0] in ("", None):
                continue
            if combo in first:
                if len(group) == 1:
                    found = f"{_show(combo[0])}, which is also in row {first[combo]}"
                    expected = f"each {group[0]} only once"
                else:
                    shown = ", ".join(_show(v) for v in combo)
                    found = f"({shown}), which is also in row {first[combo]}"
                    expected = f"each combination of {', '.join(group)} only once"
                problems.append(Problem(label, row, ", ".join(group), found, expected))
            else:
                first[combo] = row
    return problems


def _to_frame(
    rows: Sequence[int], values: Mapping[str, list[Any]], schema: Mapping[str, Any]
) -> pd.DataFrame:
    """Build the validated table: schema column order, canonical values, spreadsheet row index."""
    data = {}
    for column, prop in schema.get("properties", {}).items():
        cells = values[column]
        if "x-multivalued" in prop:
            order = {v: i for i, v in enumerate(_enum_of(prop) or [])}
            joined = [";".join(sorted(c, key=lambda v: order.get(v, len(order)))) for c in cells]
            data[column] = pd.Series(joined, dtype="str")
        elif "integer" in _types_of(prop):
            nullable = "null" in _types_of(prop) or any(c is None for c in cells)
            data[column] = pd.Series(cells, dtype="Int64" if nullable else "int64")
        else:
            data[column] = pd.Series(cells, dtype="str")
    frame = pd.DataFrame(data)
    frame.index = pd.Index(list(rows), name="row")
    return frame


def _flag_cut_short(problem: Problem, last_row: int) -> Problem:
    """Point out that a problem on the last row may come from a truncated file."""
    note = "the file does not end with a line break, so it may be truncated"
    if problem.row != last_row or "truncated" in (problem.hint or ""):
        return problem
    hint = f"{problem.hint}; {note}" if problem.hint else note
    return dataclasses.replace(problem, hint=hint)


def _check_records(
    raw: _Raw, schema: Mapping[str, Any], label: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate every data row against the schema and convert the valid table."""
    mapping, problems = _map_header(raw.header, schema, label)
    properties = schema.get("properties", {})
    width = len(raw.header)
    row_schema = {k: v for k, v in schema.items() if k != "required"}
    validator = Draft202012Validator(row_schema)
    rows: list[int] = []
    values: dict[str, list[Any]] = {c: [] for c in properties}
    min_rows = schema.get("x-min-rows", 0)
    if len(raw.records) < min_rows:
        problems.append(
            Problem(
                label,
                None,
                None,
                "only a header row" if not raw.records else f"{len(raw.records)} data row(s)",
                f"at least {min_rows} data row(s) below the header",
            )
        )
    for row, fields in raw.records:
        if len(fields) < width:
            missing_column = (mapping[len(fields)] or raw.header[len(fields)]).strip()
            if row == raw.cut_short_row:
                problems.append(
                    Problem(
                        label,
                        row,
                        missing_column,
                        f"{len(fields)} of {width} cells (the last line ends early)",
                        f"{width} cells, one per header column",
                        "the file looks truncated; export or copy it again",
                    )
                )
            else:
                problems.append(
                    Problem(
                        label,
                        row,
                        missing_column,
                        f"{len(fields)} cells",
                        f"{width} cells, one per header column",
                        "is a comma missing, or a line break in an unquoted cell?",
                    )
                )
            continue
        if len(fields) > width and any(f.strip() for f in fields[width:]):
            problems.append(
                Problem(
                    label,
                    row,
                    None,
                    f"{len(fields)} cells",
                    f"{width} cells, one per header column",
                    "a cell with a comma must be in double quotes",
                )
            )
            continue
        cells = {c: fields[i] for i, c in enumerate(mapping) if c is not None}
        instance = {c: _convert(cells[c], properties[c]) for c in properties if c in cells}
        seen: set[tuple[Any, ...]] = set()
        for error in validator.iter_errors(instance):
            key, problem = _cell_problem(error, row, cells, schema, label)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
        rows.append(row)
        for column, prop in properties.items():
            default = (
                [] if "x-multivalued" in prop else (None if "integer" in _types_of(prop) else "")
            )
            values[column].append(instance.get(column, default))
    problems += _unique_problems(rows, values, schema, label)
    if raw.cut_short_row is not None:
        problems = [_flag_cut_short(p, raw.cut_short_row) for p in problems]
    if problems:
        return None, problems
    return _to_frame(rows, values, schema), []


def _sorted(problems: Iterable[Problem], schema: Mapping[str, Any]) -> list[Problem]:
    """Order problems as a reader scans the sheet: by row, then column position."""
    order = {c: i for i, c in enumerate(_columns(schema))}
    return sorted(
        problems,
        key=lambda p: (p.row or 0, order.get((p.column or "").split(", ")[0], len(order))),
    )


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
                f"a file ending in {_show(path.suffix)}",
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
    reader = _read_xlsx if suffix == ".xlsx" else _read_csv
    raw, problems = reader(path, label, schema)
    if raw is not None:
        frame, more = _check_records(raw, schema, label)
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
    result, problems = _check_records(_Raw(header, records, None), loaded, label)
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
                    _show(text),
                    f"a {parent_column} listed in {parent_label}",
                    _did_you_mean(text, sorted(known)),
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
        shown = " > ".join(_show(v) for v in (theme, subtheme, code))
        if theme not in themes:
            column, value, choices = "theme", theme, sorted(themes)
            expected = f"a theme of {codebook_label}"
        elif (theme, subtheme) not in {(t, s) for t, s, _ in paths}:
            column, value = "subtheme", subtheme
            choices = sorted({s for t, s, _ in paths if t == theme})
            expected = f"a subtheme of theme {_show(theme)} in {codebook_label}"
        else:
            column, value = "code", code
            choices = sorted({c for t, s, c in paths if (t, s) == (theme, subtheme)})
            expected = f"a code under {_show(theme)} > {_show(subtheme)} in {codebook_label}"
        problems.append(
            Problem(
                label,
                row,
                column,
                f"the code path {shown}",
                expected,
                _did_you_mean(str(value), choices),
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


# --------------------------------------------------------------------------- configuration


def _resolve_local(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow ``"$ref": "#/..."`` pointers within the same schema (e.g. to ``$defs``).

    Sibling keywords of the ``$ref`` (such as a ``default``) win over the target's.
    Remote references are left alone: configs here only use local ones.
    """
    for _ in range(32):  # a cycle of references must not hang the workflow
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return schema
        target: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _fill_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """Return a copy of ``instance`` with the ``default`` of absent properties filled in.

    Defaults are filled where a property is absent, then recursively inside
    objects and array items that are present, following local ``$ref``s.
    """
    schema = _resolve_local(schema, root)
    if isinstance(instance, dict):
        filled = dict(instance)
        for key, sub in schema.get("properties", {}).items():
            if not isinstance(sub, Mapping):
                continue
            sub = _resolve_local(sub, root)
            if key not in filled and "default" in sub:
                filled[key] = copy.deepcopy(sub["default"])
            if key in filled:
                filled[key] = _fill_defaults(filled[key], sub, root)
        return filled
    if isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        return [_fill_defaults(item, schema["items"], root) for item in instance]
    return instance


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _show_json(value: Any) -> str:
    return f"{json.dumps(value, ensure_ascii=False, default=str)} ({_json_type(value)})"


def _child_path(base: str, key: str) -> str:
    return (
        f"{base}.{key}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
        else (f"{base}[{json.dumps(key, ensure_ascii=False)}]")
    )


def _config_problems(error: ValidationError, label: str) -> list[ConfigProblem]:
    """Translate a jsonschema error on a config into messages naming the JSON path."""
    path = error.json_path
    keyword = error.validator
    where = "config" if path == "$" else f"config at {path}"
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extras = [
            k
            for k in error.instance
            if k not in known and not any(re.search(p, k) for p in patterns)
        ]
        return [
            ConfigProblem(
                label,
                _child_path(path, k),
                None,
                f"unknown key {_show(k)} in {where}",
                _did_you_mean(k, known) or f"expected keys: {', '.join(known) or 'none'}",
            )
            for k in extras
        ]
    if keyword == "required" and isinstance(error.instance, dict):
        return [
            ConfigProblem(
                label, _child_path(path, k), None, f"missing required key {_show(k)} in {where}"
            )
            for k in error.validator_value
            if k not in error.instance
        ]
    if keyword == "enum":
        choices = [str(c) for c in error.validator_value]
        return [
            ConfigProblem(
                label,
                path,
                _show_json(error.instance),
                f"one of: {', '.join(choices)}",
                _did_you_mean(str(error.instance), choices),
            )
        ]
    if keyword == "type":
        kinds = error.validator_value
        kinds = kinds if isinstance(kinds, str) else " or ".join(kinds)
        return [ConfigProblem(label, path, _show_json(error.instance), f"a value of type {kinds}")]
    options = error.validator_value if keyword == "anyOf" else []
    if options and all(set(o) == {"required"} for o in options):
        alternatives = " or ".join(
            "key " + ", ".join(_show(k) for k in o["required"]) for o in options
        )
        have = ", ".join(_show(k) for k in error.instance) or "no keys"
        return [ConfigProblem(label, path, have, f"one of these sets: {alternatives}")]
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if keyword in bounds:
        return [
            ConfigProblem(
                label,
                path,
                _show_json(error.instance),
                f"a number {bounds[keyword]} {error.validator_value}",
            )
        ]
    return [ConfigProblem(label, path, _show_json(error.instance), error.message)]


def validate_config(
    config: Mapping[str, Any], schema: Mapping[str, Any], *, label: str = "config"
) -> dict[str, Any]:
    """Validate a configuration mapping and return a copy with the schema's defaults filled in.

    Defaults are filled before validation so that a required key with a default
    is satisfied; the input mapping is never modified.  Every problem is raised
    together in one :class:`ConfigError`, each with its JSON path, and an
    unknown key (``additionalProperties: false``) gets the closest valid key.
    """
    Draft202012Validator.check_schema(dict(schema))
    filled = _fill_defaults(copy.deepcopy(dict(config)), schema, schema)
    validator = Draft202012Validator(dict(schema))
    problems = sorted(
        (p for e in validator.iter_errors(filled) for p in _config_problems(e, label)),
        key=lambda p: p.path,
    )
    if problems:
        raise ConfigError(problems)
    return filled
