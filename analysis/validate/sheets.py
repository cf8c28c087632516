"""Reading a sheet from disk: CSV bytes or the first worksheet of an XLSX workbook.

Why by hand: ``csv``/pandas silently accept an unterminated quote (swallowing the rest of
the file into one cell), pad a cut-short last row with empty cells, read a UTF-16 file
without byte order mark as UTF-8 full of NUL characters, and openpyxl reports a formula
whose result was never saved as an empty cell. Each of these must be reported with the
file, the row (as a spreadsheet shows it: header = row 1) and the column. Nothing here
checks cell values against the schema; that is :mod:`analysis.validate.checks`.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree.ElementTree import ParseError

from analysis.textrules import looks_utf16
from analysis.validate.problems import Problem
from analysis.validate.schemas import column_names, header_key

_LATIN1_LETTERS = frozenset("æøåÆØÅ")


class Raw(NamedTuple):
    """A table as read from disk, before any schema checks."""

    header: list[str]
    records: list[tuple[int, list[str]]]
    """(spreadsheet row number, fields) of every non-blank data row."""
    cut_short_row: int | None
    """Row number of the last record when the file ends without a newline."""


RawResult = tuple[Raw | None, list[Problem]]


def _tokenize_slow(text: str) -> tuple[list[tuple[int, list[str]]], tuple[int, int] | None, bool]:
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


def _line_start(text: str, end: int, *, terminated: bool) -> int:
    """Start of the physical line that ends at ``end`` (after its own line break)."""
    if terminated and end > 0 and text[end - 1] == "\n":
        end -= 1
        if end > 0 and text[end - 1] == "\r":
            end -= 1
    elif terminated and end > 0 and text[end - 1] == "\r":
        end -= 1
    return max(text.rfind("\n", 0, end), text.rfind("\r", 0, end)) + 1


def _last_record_start(text: str, lines: int) -> int:
    """Offset of the first of the last ``lines`` physical lines, found from the end, so
    that only the last record is scanned again."""
    start = len(text)
    for i in range(lines):
        start = _line_start(text, start, terminated=i > 0 or text.endswith(("\n", "\r")))
    return start


def tokenize(text: str) -> tuple[list[tuple[int, list[str]]], tuple[int, int] | None, bool]:
    """Split CSV text into records numbered as spreadsheet rows (see :func:`_tokenize_slow`).

    Why two tokenizers: the character loop of :func:`_tokenize_slow` is the specification
    but costs minutes on a million rows; the ``csv`` module gives the same records at C
    speed except that it silently closes a quote left open at the end of the file. So the
    records come from ``csv``, and the last record is tokenized again by hand, which finds
    an unterminated quote (and whether the text ends with a line break) exactly as before.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    records: list[tuple[int, list[str]]] = []
    append = records.append
    before = after = 0  # physical lines read before and after the last record
    for fields in reader:
        before, after = after, reader.line_num
        append((len(records) + 1, fields or [""]))
    if not records:
        return _tokenize_slow(text)
    if "\r" in text and '"' in text:  # a line break inside a quoted cell reads as LF
        records = [
            (n, [f.replace("\r\n", "\n").replace("\r", "\n") for f in fields])
            if any("\r" in f for f in fields)
            else (n, fields)
            for n, fields in records
        ]
    last_start = _last_record_start(text, after - before)
    # tokenize the last record again by hand: an open quote, and the final line break
    tail_records, open_quote, ends_with_newline = _tokenize_slow(text[last_start:])
    offset = len(records) - 1
    if open_quote is not None:
        records = records[:-1] + [(offset + r, f) for r, f in tail_records]
        open_quote = (open_quote[0] + offset, open_quote[1])
    return records, open_quote, ends_with_newline


def decode(data: bytes, label: str) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (with or without Excel's BOM), reporting each line with invalid bytes."""
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    data = data[bom:]
    if looks_utf16(data):
        return None, [
            Problem(
                label,
                None,
                None,
                "text that looks UTF-16 encoded without a byte order mark (every other byte "
                "is 0x00)",
                "UTF-8 text",
                "save the file as UTF-8 (in Excel: CSV UTF-8)",
            )
        ]
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
    header = tokenize(header_line)[0]
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
            fields = tokenize(prefix)[0]
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


def read_csv(path: Path, label: str, schema: Mapping[str, Any]) -> RawResult:
    """Read a CSV file into header and records, reporting structural problems."""
    data = path.read_bytes()
    expected_header = f"a header row with the columns: {', '.join(column_names(schema))}"
    if not data:
        return None, [Problem(label, None, None, "an empty file (0 bytes)", expected_header)]
    text, problems = decode(data, label)
    if text is None:
        return None, problems
    records, open_quote, ends_with_newline = tokenize(text)
    nonblank = [
        (row, fields)
        for row, fields in records
        if fields[0].strip() or any(f.strip() for f in fields[1:])
    ]
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
        names = {header_key(n) for n in header[0].split(";")}
        if len(names & {header_key(c) for c in column_names(schema)}) >= 2:
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
    return Raw(header, data_records, cut_short), problems


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


_SHEET_ERRORS = (
    ParseError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    OverflowError,
    TypeError,
)


def _invalid_workbook(label: str, reason: str) -> list[Problem]:
    return [
        Problem(
            label,
            None,
            None,
            f"a file that is not a valid .xlsx workbook ({reason})",
            "an Excel workbook saved as .xlsx (or a UTF-8 CSV file)",
            "open it in Excel and save it again as .xlsx",
        )
    ]


def _sheet_rows(path: Path, label: str) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """Every row of the first worksheet as text, with formulas that have no saved result.

    Why two workbooks: openpyxl gives either the saved results (``data_only``) or the
    formulas, never both; a formula whose result was never saved (a file written by a script
    and not recalculated in Excel) reads as an empty cell and must be refused, not taken
    for one. A sheet that breaks off (a truncated file, a number too long to read) is
    reported with the last row that could be read.
    """
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        values = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, OSError, *_SHEET_ERRORS) as exc:
        reason = "not a zip archive" if isinstance(exc, zipfile.BadZipFile) else str(exc)
        return [], _invalid_workbook(label, reason)
    rows: list[tuple[int, list[str]]] = []
    problems: list[Problem] = []
    header: list[str] = []
    try:
        sheet, raw = values.worksheets[0], formulas.worksheets[0]
        pairs = zip(sheet.iter_rows(values_only=True), raw.iter_rows(values_only=True), strict=True)
        for number, (cells, written) in enumerate(pairs, 1):
            row = [_xlsx_cell(v) for v in cells]
            header = header or row
            for index, (value, formula) in enumerate(zip(cells, written, strict=False)):
                if value is None and isinstance(formula, str) and formula.startswith("="):
                    name = header[index] if index < len(header) and number > 1 else None
                    problems.append(
                        Problem(
                            label,
                            number,
                            (name or "").strip() or get_column_letter(index + 1),
                            "a formula whose result was never saved",
                            "a value (or a formula whose result Excel has saved)",
                            "open the workbook in Excel, let it recalculate and save it again",
                        )
                    )
            rows.append((number, row))
    except _SHEET_ERRORS as exc:
        problems.append(
            Problem(
                label,
                len(rows) + 1,
                None,
                f"a worksheet that cannot be read past row {len(rows)} ({type(exc).__name__}: "
                f"{str(exc)[:120]})",
                "a complete worksheet",
                "the file looks truncated or damaged; open it in Excel and save it again",
            )
        )
    finally:
        values.close()
        formulas.close()
    return rows, problems


def read_xlsx(path: Path, label: str, schema: Mapping[str, Any]) -> RawResult:
    """Read the first worksheet of an XLSX workbook into header and records."""
    rows, problems = _sheet_rows(path, label)
    if problems and not rows:
        return None, problems
    nonblank = [(row, fields) for row, fields in rows if any(f.strip() for f in fields)]
    if not nonblank:
        return None, problems or [
            Problem(
                label,
                None,
                None,
                "an empty worksheet",
                f"a header row with the columns: {', '.join(column_names(schema))}",
            )
        ]
    (header_row, header), *data_records = nonblank
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
    return Raw(header, data_records, None), problems
