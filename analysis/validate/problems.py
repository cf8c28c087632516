"""How a problem with an input is located, worded and collected.

Why one module: every check (sheet reading, table checks, configuration) reports through
:class:`Problem`/:class:`ConfigProblem` and raises :class:`InputError`/:class:`ConfigError`,
both :class:`analysis.problems.ProblemsError`, so the wording and the masking of quoted
cell values are decided once. Validation runs before the privacy gate and its messages
reach the terminal and the logs, so a found value is always quoted through
:func:`analysis.masking.mask`; only the schema's own words (column names, allowed values)
appear as written.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.masking import mask
from analysis.problems import ProblemsError, count_heading

MAX_LISTED = 50
"""How many problems ``str(InputError)`` spells out before summarising the rest."""

_PLAIN_COLUMN = re.compile(r"[a-z][a-z0-9_]*")


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
            where.append(column_ref(self.column))
        head = f"{self.file}: {', '.join(where)}: " if where else f"{self.file}: "
        body = (
            self.expected
            if self.found is None
            else (f"found {self.found}, expected {self.expected}")
        )
        if self.hint:
            body = f"{body}; {self.hint}"
        return head + body


class InputError(ProblemsError):
    """Raised when input tables are unusable; ``.problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        heading = count_heading(len(problems), "the input data")
        super().__init__(problems, heading, limit=MAX_LISTED)
        self.problems: list[Problem] = list(problems)


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


class ConfigError(ProblemsError):
    """Raised by :func:`validate_config`; ``.problems`` lists every problem found."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        heading = count_heading(len(problems), "the configuration")
        super().__init__(problems, heading, limit=MAX_LISTED)
        self.problems: list[ConfigProblem] = list(problems)


def column_ref(column: str) -> str:
    """Name one column (``column year``) or several (``columns stage, item``)."""
    parts = column.split(", ")
    if len(parts) > 1 and all(_PLAIN_COLUMN.fullmatch(p) for p in parts):
        return f"columns {column}"
    return f"column {column}" if _PLAIN_COLUMN.fullmatch(column) else f"column {show(column)}"


def show(value: object) -> str:
    """Quote a found value for a message: masked (:func:`analysis.masking.mask`), so its
    shape shows where to look but no identifier reaches a terminal or a log."""
    text = mask(value)
    if text.isprintable():
        return '"' + text.replace('"', '\\"') + '"'
    return json.dumps(text, ensure_ascii=False)


def suggest(value: str, choices: Iterable[str]) -> str | None:
    """Return the closest choice to ``value`` (case-insensitive), if any is close enough."""
    by_key: dict[str, str] = {}
    for choice in choices:
        by_key.setdefault(choice.casefold(), choice)
    match = difflib.get_close_matches(value.casefold(), list(by_key), n=1, cutoff=0.6)
    return by_key[match[0]] if match else None


def did_you_mean(value: str, choices: Iterable[str]) -> str | None:
    """Phrase :func:`_suggest` as a hint."""
    best = suggest(value, choices)
    return f'did you mean "{best}"?' if best is not None else None
