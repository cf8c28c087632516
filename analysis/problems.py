"""The one "collect every problem" error type of the project.

Why one type: a hand-kept sheet, a CAQDAS export or a configuration file is usually broken
in several places at once, and an author fixes them in one pass only when every problem is
listed together. The readers (:mod:`analysis.validate`, :mod:`analysis.qdpx`) and the
configuration check all raise a subclass of :class:`ProblemsError`, so a caller (the DAG,
the command line) catches one type and prints one message per problem, capped so that a
broken file does not flood a terminal or a log.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["ProblemsError", "count_heading", "summarise"]


def summarise(lines: Sequence[str], heading: str, *, limit: int, bullet: str = "") -> str:
    """``heading`` then one line per problem, the first ``limit`` of them and a count."""
    shown = [f"{bullet}{line}" for line in lines[:limit]]
    if len(lines) > limit:
        shown.append(f"{bullet}… and {len(lines) - limit} more")
    return "\n".join([heading, *shown])


def count_heading(count: int, where: str) -> str:
    """``"3 problems in <where>:"``, the heading every problem list starts with."""
    return f"{count} {'problem' if count == 1 else 'problems'} in {where}:"


class ProblemsError(ValueError):
    """Every problem found in one or more input files, raised once.

    ``problems`` holds the problems (strings or objects with a ``message()``); ``lines``
    the one-line rendering of each. Subclasses choose the heading and the cap.
    """

    def __init__(
        self, problems: Sequence[object], heading: str, *, limit: int, bullet: str = ""
    ) -> None:
        self.problems = list(problems)
        self.lines = [p if isinstance(p, str) else p.message() for p in self.problems]  # type: ignore[attr-defined]
        super().__init__(summarise(self.lines, heading, limit=limit, bullet=bullet))
