"""Offset conventions: which unit and which line breaks a project's positions count in.

Why: the standard counts code points on the stored text, NVivo 12 counts UTF-16 code units,
and some exporters count on text whose CRLF were normalised to LF. The detection rule
(documented in :mod:`analysis.qdpx`) is applied per source here, and every position is
mapped to code points of the stored text, so a coded span is always the exact stored text.
Everything is vectorised with numpy: half a million selections are mapped in a fraction of
a second.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from analysis.qdpx.model import CONVENTIONS, quote
from analysis.qdpx.parse import Parsed

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_CRLF = re.compile("\r\n")


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


def _positions(pattern: re.Pattern[str], text: str) -> np.ndarray:
    """Start of every match, without a Python list of them (a long transcript has millions
    of line breaks); no scan at all when there is none."""
    if pattern.search(text) is None:
        return np.zeros(0, dtype=np.int64)
    return np.fromiter((m.start() for m in pattern.finditer(text)), dtype=np.int64)


def _hits(values: np.ndarray, sorted_positions: np.ndarray) -> int:
    """How many ``values`` are in ``sorted_positions`` (binary search: ``np.isin`` hashes
    the millions of line breaks of a long transcript and took seconds per source)."""
    if not len(values) or not len(sorted_positions):
        return 0
    at = np.searchsorted(sorted_positions, values)
    found = sorted_positions[np.minimum(at, len(sorted_positions) - 1)] == values
    return int(np.count_nonzero(found))


def _candidates(text: str, starts: np.ndarray, ends: np.ndarray) -> dict[str, _Candidate]:
    """Score every convention on one source (selections with end < start excluded).

    Why no LF copy of the text: the LF variant's length and astral positions follow from
    the CRLF positions, so a 200 MB transcript is never held twice.
    """
    crlf = _positions(_CRLF, text)
    collapsed = crlf - np.arange(len(crlf), dtype=np.int64)
    astral_crlf = _positions(_ASTRAL, text)
    astral_lf = astral_crlf - np.searchsorted(crlf, astral_crlf, side="left")
    empty = np.zeros(0, dtype=np.int64)
    result: dict[str, _Candidate] = {}
    for newlines, size, astral in (
        ("crlf", len(text), astral_crlf),
        ("lf", len(text) - len(crlf), astral_lf),
    ):
        for unit in ("codepoint", "utf16"):
            if unit == "utf16":
                astral_units = astral + np.arange(len(astral), dtype=np.int64)
                length = size + len(astral)
                bad = [astral_units + 1]
            else:
                astral_units = empty
                length = size
                bad = []
            if newlines == "crlf" and len(crlf):
                splits = crlf + 1
                if unit == "utf16" and len(astral):
                    splits = splits + np.searchsorted(astral, splits, side="left")
                bad.append(splits)
            n_out = int(np.count_nonzero((starts < 0) | (ends > length)))
            n_split = sum(_hits(starts, b) + _hits(ends, b) for b in bad)
            result[f"{unit}/{newlines}"] = _Candidate(
                convention=f"{unit}/{newlines}",
                length=length,
                n_out=n_out,
                n_split=n_split,
                astral_units=astral_units,
                collapsed=collapsed if newlines == "lf" else empty,
            )
    return result


def preference(origin: str | None) -> tuple[str, ...]:
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
    return _choose(_candidates(text, starts, ends), preference(origin), {}).convention


def _label(src: Mapping[str, object]) -> str:
    return f"TextSource {src['guid']} ({quote(src['name'])})"


def _score_sources(
    p: Parsed, texts: Sequence[str | None], arrays: tuple[np.ndarray, ...], problems: list[str]
) -> tuple[list[tuple[np.ndarray, dict[str, _Candidate]] | None], dict[str, int]]:
    """Score every convention on every source (rule steps 1, 2); count admissible ones (3)."""
    starts, ends, valid = arrays
    per_source: list[tuple[np.ndarray, dict[str, _Candidate]] | None] = []
    admitted_by: dict[str, int] = dict.fromkeys(CONVENTIONS, 0)
    for src, text in zip(p.sources, texts, strict=True):
        idx = np.array(src["selections"], dtype=np.int64)
        ok = idx[valid[idx]] if len(idx) else idx
        length = f"{len(text)} code points" if text is not None else "unknown: text missing"
        for i in ok[ends[ok] < starts[ok]]:
            problems.append(
                f"PlainTextSelection {p.sel_guid[i]} (line {p.sel_line[i]}) on {_label(src)}: "
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
    return per_source, admitted_by


def _out_of_range(
    p: Parsed,
    src: Mapping[str, object],
    text: str,
    ok: np.ndarray,
    best: _Candidate,
    starts: np.ndarray,
    ends: np.ndarray,
) -> list[str]:
    """One problem per selection outside the source under the best convention."""
    unit = "UTF-16 code units" if best.convention.startswith("utf16") else "code points"
    out = ok[(starts[ok] < 0) | (ends[ok] > best.length)]
    return [
        f"PlainTextSelection {p.sel_guid[i]} (line {p.sel_line[i]}) on {_label(src)}: "
        f"startPosition={starts[i]} endPosition={ends[i]} is outside the source "
        f"text, which is {best.length} {unit} long under the best-fitting offset "
        f"convention {best.convention} ({len(text)} code points as stored)"
        for i in out
    ]


def _overruled(p: Parsed, label: str, default: _Candidate, best: _Candidate) -> str:
    """The audit warning for a source read against the origin's default convention."""
    reason = (
        f"{default.convention} would split {default.n_split} selection boundaries "
        "inside a surrogate pair or a CRLF"
        if default.n_split > best.n_split
        else f"the other text sources of the project fit {best.convention}"
    )
    origin = f"origin {quote(p.origin)}" if p.origin else "a project without origin"
    return (
        f"{label}: offsets read as {best.convention}, not {default.convention} (the "
        f"default for {origin}), because {reason}"
    )


def resolve_offsets(
    p: Parsed, texts: Sequence[str | None], problems: list[str], warnings: list[str]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Detect the convention of every source, check ranges, map to code points."""
    n_sel = len(p.sel_guid)
    starts = np.frombuffer(p.sel_start, dtype=np.int64) if n_sel else np.zeros(0, np.int64)
    ends = np.frombuffer(p.sel_end, dtype=np.int64) if n_sel else np.zeros(0, np.int64)
    valid = np.frombuffer(bytes(p.sel_valid), dtype=np.uint8).astype(bool)
    cp_start = starts.copy()
    cp_end = ends.copy()
    order = preference(p.origin)
    per_source, admitted_by = _score_sources(p, texts, (starts, ends, valid), problems)
    conventions: list[str] = []
    for src, text, entry in zip(p.sources, texts, per_source, strict=True):
        if entry is None or text is None:
            conventions.append("")
            continue
        ok, candidates = entry
        best = _choose(candidates, order, admitted_by)
        conventions.append(best.convention)
        if best.n_out:
            problems.extend(_out_of_range(p, src, text, ok, best, starts, ends))
            continue
        label = _label(src)
        if best.n_split:
            warnings.append(
                f"{label}: {best.n_split} selection boundaries split a character under the "
                f"detected offset convention {best.convention}"
            )
        if len(ok):
            cp_start[ok] = best.to_codepoints(starts[ok])
            cp_end[ok] = best.to_codepoints(ends[ok])
        default = next(candidates[c] for c in order if candidates[c].n_out == 0)
        if default is not best and not (
            np.array_equal(default.to_codepoints(starts[ok]), cp_start[ok])
            and np.array_equal(default.to_codepoints(ends[ok]), cp_end[ok])
        ):
            # the origin's default fitted but was overruled: say why, for the audit trail
            warnings.append(_overruled(p, label, default, best))
    return cp_start, cp_end, conventions
