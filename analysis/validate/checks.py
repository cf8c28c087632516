"""Checking the cells of a sheet against its row schema, and building the clean table.

Why column-wise: a hand-kept sheet has few distinct values per category column and one
value per row in its id and free-text columns, so each distinct value of a column is
converted and checked once, and only the rows holding a value that fails are validated
again with jsonschema (which gives the located messages). A million-row extraction sheet is
checked in seconds instead of minutes, with the same messages.

Two rules go beyond the schemas: no cell may hold a NUL character (a sign of a UTF-16 file
or a binary paste), and no free-text cell may start with ``=``, ``+``, ``-`` or ``@``
(after trimming spaces, tabs and line breaks), because spreadsheet programs run such a cell
as a formula when the published CSV tables are opened (CSV injection, see OWASP). Such
cells are refused rather than prefixed, so the clean tables hold exactly what the authors
wrote; an author who means the text puts it differently (e.g. "minus 3", or quotes
around it).
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from analysis.textrules import FORMULA_HINT, FORMULA_START
from analysis.validate.problems import Problem, did_you_mean, show, suggest
from analysis.validate.schemas import (
    column_names,
    describe,
    enum_of,
    header_key,
    types_of,
    with_description,
)
from analysis.validate.sheets import Raw

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")  # ASCII digits only; longer numbers stay text
_ROW_KEYWORDS = frozenset(
    (
        "type",
        "properties",
        "required",
        "additionalProperties",
        "title",
        "description",
        "$schema",
        "$id",
        "$comment",
    )
)


def map_header(
    header: Sequence[str], schema: Mapping[str, Any], label: str
) -> tuple[list[str | None], list[Problem]]:
    """Map each header cell to a schema column; report unknown, duplicate and missing columns.

    Case and whitespace differences are accepted silently because spreadsheet
    users do not see them; anything else gets a did-you-mean, preferring the
    required columns that are still missing.
    """
    columns = column_names(schema)
    by_key = {header_key(c): c for c in columns}
    mapping: list[str | None] = [by_key.get(header_key(name)) for name in header]
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
        guess = suggest(header_key(name), [c for c in missing if c not in suggested])
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
    enum = enum_of(prop)
    if "x-multivalued" in prop:
        parts = [_clean(p) for p in text.split(prop["x-multivalued"])]
        return [_canonical_category(p, enum or []) for p in parts if p]
    if enum is not None:
        return _canonical_category(text, enum)
    if "integer" in types_of(prop):
        if not text:
            return None
        return int(text) if _INTEGER.fullmatch(text) else text
    return text


def _item_problem(
    error: ValidationError, row: int, column: str, cell: str, prop: Mapping[str, Any], label: str
) -> Problem:
    """One value of a multi-valued cell that is not an allowed value."""
    value = error.instance
    enum = enum_of(prop) or []
    found = show(value) if cell == str(value) else f"{show(value)} in {show(cell)}"
    return Problem(
        label,
        row,
        column,
        found,
        f"each value to be one of: {', '.join(enum)}",
        did_you_mean(str(value), enum),
    )


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
        # "required" names a schema column; other messages would quote the row's values
        text = (
            error.message
            if error.validator == "required"
            else (f"the row breaks the schema's {error.validator} rule")
        )
        return (row, None, error.validator), Problem(label, row, None, None, text)
    column = path[0]
    prop = {**properties[column], **{k: v for k, v in error.schema.items() if k == "description"}}
    cell = _clean(raw.get(column, ""))
    keyword = error.validator
    if len(path) > 1:  # one value of a multi-valued cell
        return (row, column, path[1]), _item_problem(error, row, column, cell, prop, label)
    key = (row, column, None)
    empty = cell == ""
    if keyword == "uniqueItems":
        values = error.instance
        twice = sorted({v for v in values if values.count(v) > 1})
        return key, Problem(
            label,
            row,
            column,
            f"{show(twice[0])} more than once in {show(cell)}",
            "each value at most once",
        )
    if keyword in ("minLength", "minItems") or (empty and keyword == "type"):
        return key, Problem(
            label,
            row,
            column,
            "an empty cell",
            describe(prop) if keyword != "minLength" else with_description("a value", prop),
        )
    if keyword == "enum":
        enum = prop.get("enum", error.validator_value)
        return key, Problem(
            label,
            row,
            column,
            show(cell),
            f"one of: {', '.join(enum)}",
            did_you_mean(cell, enum),
        )
    if keyword == "pattern":
        return key, Problem(
            label,
            row,
            column,
            show(cell),
            with_description(f"text matching the pattern {error.validator_value}", prop),
        )
    if keyword in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        hint = None
        if any(ch.isdigit() and not ch.isascii() for ch in cell):
            hint = (
                "digits other than 0-9 (e.g. Arabic-Indic or full-width digits) are not read "
                "as numbers; type the number with 0-9"
            )
        return key, Problem(label, row, column, show(cell), describe(prop), hint)
    return key, Problem(
        label, row, column, show(cell), f"a value that meets the schema's {keyword} rule"
    )


def _has_repeats(values: Mapping[str, Sequence[Any]], group: Sequence[str]) -> bool:
    """Whether any combination of ``group`` repeats (a vectorised pre-check)."""
    frame = pd.DataFrame(
        {c: [tuple(v) if isinstance(v, list) else v for v in values[c]] for c in group}
    )
    repeated = frame.duplicated(keep=False)
    if len(group) == 1:
        first = frame.iloc[:, 0]
        repeated &= first.notna() & (first != "")
    return bool(repeated.any())


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
        if any(c not in values for c in group) or not _has_repeats(values, group):
            continue
        first: dict[tuple[Any, ...], int] = {}
        for index, row in enumerate(rows):
            combo = tuple(values[c][index] for c in group)
            if len(group) == 1 and combo[0] in ("", None):
                continue
            if combo in first:
                if len(group) == 1:
                    found = f"{show(combo[0])}, which is also in row {first[combo]}"
                    expected = f"each {group[0]} only once"
                else:
                    shown = ", ".join(show(v) for v in combo)
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
            order = {v: i for i, v in enumerate(enum_of(prop) or [])}
            cache: dict[tuple[str, ...], str] = {}
            joined = []
            for c in cells:
                key = tuple(c)
                text = cache.get(key)
                if text is None:
                    text = cache[key] = ";".join(sorted(c, key=lambda v: order.get(v, len(order))))
                joined.append(text)
            data[column] = pd.Series(joined, dtype="str")
        elif "integer" in types_of(prop):
            nullable = "null" in types_of(prop) or any(c is None for c in cells)
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


def _width_problem(
    raw: Raw, mapping: Sequence[str | None], row: int, fields: list[str], label: str
) -> Problem | None:
    """A row with fewer or more cells than the header, or None when it fits."""
    width = len(raw.header)
    if len(fields) < width:
        missing_column = (mapping[len(fields)] or raw.header[len(fields)]).strip()
        if row == raw.cut_short_row:
            return Problem(
                label,
                row,
                missing_column,
                f"{len(fields)} of {width} cells (the last line ends early)",
                f"{width} cells, one per header column",
                "the file looks truncated; export or copy it again",
            )
        return Problem(
            label,
            row,
            missing_column,
            f"{len(fields)} cells",
            f"{width} cells, one per header column",
            "is a comma missing, or a line break in an unquoted cell?",
        )
    if len(fields) > width and any(f.strip() for f in fields[width:]):
        return Problem(
            label,
            row,
            None,
            f"{len(fields)} cells",
            f"{width} cells, one per header column",
            "a cell with a comma must be in double quotes",
        )
    return None


def _is_free_text(prop: Mapping[str, Any]) -> bool:
    return (
        enum_of(prop) is None and "integer" not in types_of(prop) and ("x-multivalued" not in prop)
    )


def _text_problems(
    row: int, cells: Mapping[str, str], schema: Mapping[str, Any], label: str
) -> list[Problem]:
    """NUL characters anywhere, and formula-looking free text (see the module docstring)."""
    problems = []
    properties = schema.get("properties", {})
    for column, raw in cells.items():
        if "\x00" in raw:
            problems.append(
                Problem(
                    label,
                    row,
                    column,
                    "a NUL character (byte 0x00)",
                    "text without NUL characters",
                    "a UTF-16 file or a pasted binary value; save the sheet again as UTF-8",
                )
            )
        elif _is_free_text(properties.get(column, {})) and _clean(raw).startswith(FORMULA_START):
            problems.append(
                Problem(
                    label,
                    row,
                    column,
                    f"text starting with {_clean(raw)[0]!r}",
                    "text that does not start with =, +, - or @",
                    FORMULA_HINT,
                )
            )
    return problems


def _value_check(prop: Mapping[str, Any]) -> Callable[[Any], bool]:
    """A fast test that a converted value meets its column's schema (and the text rules)."""
    keys = set(prop) - {"description", "x-unique"}
    free = _is_free_text(prop)
    if prop.get("type") == "string" and keys <= {"type", "minLength"}:
        least = prop.get("minLength", 0)

        def simple(value: Any) -> bool:
            return (
                isinstance(value, str)
                and len(value) >= least
                and "\x00" not in value
                and (not value.startswith(FORMULA_START) if free else True)
            )

        return simple
    validator = Draft202012Validator(dict(prop))

    def general(value: Any) -> bool:
        if isinstance(value, str) and (
            "\x00" in value or (free and value.startswith(FORMULA_START))
        ):
            return False
        if isinstance(value, list) and any("\x00" in v for v in value):
            return False
        return validator.is_valid(value)

    return general


def _convert_columns(
    good: Sequence[tuple[int, list[str]]],
    mapping: Sequence[str | None],
    schema: Mapping[str, Any],
) -> tuple[dict[str, Sequence[str]], dict[str, list[Any]], np.ndarray]:
    """Raw cells, converted values and a per-row "every cell passes" flag, column-wise."""
    properties = schema.get("properties", {})
    fast = set(schema) <= _ROW_KEYWORDS | {k for k in schema if k.startswith("x-")}
    n = len(good)
    width = len(mapping)
    # transpose in C; rows longer than the header only have empty cells past it
    by_position = list(zip(*(fields[:width] for _, fields in good), strict=True)) if n else []
    raw: dict[str, Sequence[str]] = {}
    for i, column in enumerate(mapping):  # a column named twice: the last one wins
        if column is not None:
            raw[column] = by_position[i] if n else ()
    converted: dict[str, list[Any]] = {}
    ok = np.full(n, fast, dtype=bool)
    for column, prop in properties.items():
        if column not in raw:
            continue
        cells = raw[column]
        values = {u: _convert(u, prop) for u in set(cells)}
        converted[column] = list(map(values.__getitem__, cells))
        if fast:
            check = _value_check(prop)
            passes = {u: check(v) for u, v in values.items()}
            ok &= np.fromiter(map(passes.__getitem__, cells), dtype=bool, count=n)
    return raw, converted, ok


def check_records(
    raw: Raw, schema: Mapping[str, Any], label: str
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate every data row against the schema and convert the valid table."""
    mapping, problems = map_header(raw.header, schema, label)
    properties = schema.get("properties", {})
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
    good = []
    for row, fields in raw.records:
        problem = _width_problem(raw, mapping, row, fields, label)
        if problem is None:
            good.append((row, fields))
        else:
            problems.append(problem)
    cells, converted, ok = _convert_columns(good, mapping, schema)
    row_schema = {k: v for k, v in schema.items() if k != "required"}
    validator = Draft202012Validator(row_schema)
    for k in np.flatnonzero(~ok):
        row = good[k][0]
        row_cells = {c: cells[c][k] for c in cells}
        instance = {c: converted[c][k] for c in properties if c in converted}
        seen: set[tuple[Any, ...]] = set()
        for error in validator.iter_errors(instance):
            key, problem = _cell_problem(error, row, row_cells, schema, label)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
        problems += _text_problems(row, row_cells, schema, label)
    rows = [row for row, _ in good]
    values: dict[str, list[Any]] = {}
    for column, prop in properties.items():
        default = [] if "x-multivalued" in prop else (None if "integer" in types_of(prop) else "")
        values[column] = converted.get(column, [default] * len(rows))
    problems += _unique_problems(rows, values, schema, label)
    if raw.cut_short_row is not None:
        problems = [_flag_cut_short(p, raw.cut_short_row) for p in problems]
    if problems:
        return None, problems
    return _to_frame(rows, values, schema), []
