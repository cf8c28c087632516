"""Rules about input text shared by both readers (sheets and REFI-QDA projects).

Why one place: the sheet reader (:mod:`analysis.validate`) and the ``.qdpx`` reader
(:mod:`analysis.qdpx`) must refuse the same things in the same words: a file that is UTF-16
without a byte order mark (it decodes as UTF-8 "successfully", full of NUL characters) and
text that a spreadsheet program would run as a formula when a published CSV table is
opened.

CSV injection (OWASP): a cell starting with ``=``, ``+``, ``-`` or ``@`` (after leading
spaces, tabs and line breaks) is refused at input, not prefixed at output: the clean tables
and the documents then hold exactly the authors' text, and no published CSV can carry a
formula. An author rewords such a cell (or, in a CAQDAS tool, starts the coded span one
character later).
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@")
"""First characters that make a spreadsheet program treat a cell as a formula (OWASP)."""

FORMULA_HINT = (
    "spreadsheet programs run text starting with =, +, - or @ as a formula when the "
    "published CSV tables are opened (CSV injection); reword it"
)


def looks_like_formula(text: str) -> bool:
    """True when ``text`` (leading blanks ignored) starts like a spreadsheet formula."""
    return text.lstrip(" \t\r\n").startswith(FORMULA_START)


def looks_utf16(data: bytes) -> bool:
    """True when NUL bytes sit at every other position, as in BOM-less UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) >= 0.9 * (len(sample) // 2) and min(even, odd) < 0.1 * len(sample)
