"""Pure detectors of personal identifiers: normalisation first, then four detectors.

Why a module of its own: the privacy gate (:mod:`analysis.privacy`) decides *what* is
scanned; this module decides *what counts as an identifier*, and both change for different
reasons. Nothing here reads files or knows about rows, columns or REFI-QDA elements.

Normalisation (:func:`fold`) comes before every match, because real transcripts are full of
copied-in invisible characters and line breaks that split what a reader still sees as one
number or name:

- format characters (zero-width space/joiners, word joiner, BOM, soft hyphen, bidi marks:
  Unicode category ``Cf``) are removed;
- line breaks (LF, CRLF, CR, VT, FF, NEL, U+2028/9), tabs and every space separator become
  one space; a CRLF becomes *one* space;
- dash variants (U+2010-2015, minus sign, small and full-width hyphen-minus) become ``-``;
- letters are compared accent-insensitively: NFKD, combining marks stripped, casefolded,
  and the letters NFKD does not decompose folded explicitly (ø -> o, æ -> ae, œ -> oe,
  đ/ð -> d, ł -> l, þ -> th), so Ørjan matches Orjan and Åse matches Ase.

Detected kinds (:data:`KINDS`):

``fodselsnummer`` / ``d-number`` / ``h-number``
    Norwegian identity numbers: 11 digits, also written as a date plus the personal number
    (``150586 95088``, ``15.05.86-95088``, ``15.05.1986 – 95088``, two separators, split by
    a line break). Only numbers whose two mod-11 control digits are right and whose first
    six digits form a date (after removing the D +40 day, H +40 month and Tenor +80 month
    offsets) fire, so ordinary dates and counts do not.
``phone``
    International numbers (``+47``, ``0047``, ``(+47)``, any country) and Norwegian national
    8-digit groupings (``41234567``, ``412 34 567``, ``41 23 45 67``, ``4123 4567``, each
    with a space, dot, hyphen or line break). Only these shapes reach the
    :mod:`phonenumbers` parser, which then checks the number is valid; year ranges and page
    ranges (``2015-2021``, ``pp. 4550-4812``) are not phone numbers.
``email``
    Dot-atom or quoted local part, domain or IP literal, optionally broken by a line break
    after a dot or around the ``@``.
``name``
    Names from a private list, whole words, any whitespace/hyphen/line break between their
    parts, with an optional genitive ``s``, accent- and case-insensitively.

Speed: the gate runs these over every cell of large sheets, so :func:`flag_texts` scans many
strings at once (joined by NUL, folded once) and only the strings with a hit are scanned again
one by one (:func:`scan`) to get exact offsets.
"""

from __future__ import annotations

import bisect
import calendar
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers
from stdnum.no import fodselsnummer

__all__ = [
    "KINDS",
    "Hit",
    "compile_names",
    "flag_texts",
    "fold",
    "fold_with_offsets",
    "identity_number_kind",
    "scan",
]

#: Every kind a :class:`Hit` can have, in reporting (and priority) order.
KINDS: tuple[str, ...] = ("fodselsnummer", "d-number", "h-number", "phone", "email", "name")

_SEP = "\x00"  # joins strings in flag_texts; no detector can match across it

_LINE_BREAKS = frozenset("\n\r\t\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d")
_QUOTES = frozenset("\u2018\u2019\u02bc\u2032")
# Letters NFKD leaves alone (no combining mark to strip).
_LETTERS = {
    "ø": "o", "æ": "ae", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i",
}  # fmt: skip

_FOLD_TABLE: dict[int, str] = {}


@dataclass(frozen=True)
class Hit:
    """One suspected identifier in one string: its kind, a masked form and its offsets.

    ``masked`` is all a report ever shows of the hit; ``start``/``end`` are offsets into the
    string as given (not the folded one), so a fixing tool can find it without printing it.
    """

    kind: str
    masked: str
    start: int
    end: int


# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------


def _fold_char(ch: str) -> str:
    """The folded form of one character (see the module docstring); may be empty or longer."""
    if ch == _SEP:
        return ch
    if ch in _LINE_BREAKS:
        return " "
    if ch in _DASHES:
        return "-"
    if ch in _QUOTES:
        return "'"
    category = unicodedata.category(ch)
    if category == "Cf":
        return ""
    if category == "Zs" or category == "Cc":
        return " "
    if ch.isascii():
        return ch.lower()
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return "".join(_LETTERS.get(c, c) for c in base.casefold())


def _table_for(chars: Iterable[str]) -> dict[int, str]:
    """The shared translation table, extended with any character not seen before."""
    for ch in chars:
        if ord(ch) not in _FOLD_TABLE:
            folded = _fold_char(ch)
            _FOLD_TABLE[ord(ch)] = folded
    return _FOLD_TABLE


def fold(text: str) -> str:
    """Normalise ``text`` for matching (C-speed: one ``str.translate``)."""
    text = text.replace("\r\n", "\n")
    return text.translate(_table_for(set(text)))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """:func:`fold` plus, for every folded character, the offset of its source character.

    The list has one extra entry, ``len(text)``, so an exclusive end maps too.
    """
    table = _table_for(set(text))
    out: list[str] = []
    origin: list[int] = []
    previous = ""
    for i, ch in enumerate(text):
        if ch == "\n" and previous == "\r":
            previous = ch
            continue  # CRLF is one line break, already emitted for the CR
        previous = ch
        piece = table[ord(ch)]
        out.append(piece)
        origin.extend([i] * len(piece))
    origin.append(len(text))
    return "".join(out), origin


# --------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------


def _mask_tail(value: str, keep: int = 2) -> str:
    """Keep the last ``keep`` characters: enough to find the hit, too little to reuse it."""
    if len(value) <= keep:
        return "*" * len(value)
    return "*" * (len(value) - keep) + value[-keep:]


def _mask_name(value: str) -> str:
    """First visible letter only: tells the reader which name was hit, not the name."""
    visible = unicodedata.normalize("NFC", "".join(ch for ch in value if ch.isprintable()))
    return visible[:1] + "*" * max(len(visible) - 1, 0)


# --------------------------------------------------------------------------------------
# Identity numbers
# --------------------------------------------------------------------------------------

# Date (DD MM YY or YYYY, one consistent separator or none) then the 5-digit personal number
# after up to a space, one punctuation mark and a space ("150586 - 95088").
_ID_RE = re.compile(
    r"(?<![0-9])(?P<d>[0-9]{2})(?P<s>[./ -]?)(?P<m>[0-9]{2})(?P=s)(?P<y>[0-9]{2}(?:[0-9]{2})?)"
    r" ?[./:-]? ?(?P<p>[0-9]{5})(?![0-9])"
)


def identity_number_kind(digits: str) -> str | None:
    """The kind of an 11-digit identity number, or None if it is not one.

    Control digits come from :mod:`stdnum.no.fodselsnummer` (``calc_check_digit1``/``2``
    return ``"10"`` where no digit is valid, which never equals a digit). Its ``is_valid`` is
    not used: it rejects Tenor test numbers, numbers whose century it cannot infer and birth
    dates "in the future", all still somebody's identifier or indistinguishable from one.
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
    # Two-digit years divisible by 4 are leap years in some century (00 -> 2000).
    leap_proxy_year = 2000 if year2 % 4 == 0 else 2001
    if not 1 <= day <= calendar.monthrange(leap_proxy_year, month)[1]:
        return None
    return kind


def _identity_numbers(folded: str) -> list[tuple[str, str, int, int]]:
    hits = []
    for m in _ID_RE.finditer(folded):
        year = m["y"]
        if len(year) == 4 and not m["s"]:
            continue  # 13 digits in a row are not a date plus a personal number
        digits = m["d"] + m["m"] + year[-2:] + m["p"]
        kind = identity_number_kind(digits)
        if kind is not None:
            hits.append((kind, _mask_tail(digits), m.start(), m.end()))
    return hits


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------

_INTERNATIONAL_RE = re.compile(
    r"(?<![\w+\-./])(?:\(\+[0-9]{1,3}\)|\+[0-9]{1,3}|00[1-9][0-9]{0,2})"
    r"(?:[ .-]?\(?[0-9]{1,8}\)?){1,7}"
)
_NATIONAL_RE = re.compile(
    r"(?<![\w+\-./,:])"
    r"(?:[0-9]{8}"
    r"|[0-9]{3}(?P<a>[ .-])[0-9]{2}(?P=a)[0-9]{3}"
    r"|[0-9]{2}(?P<b>[ .-])[0-9]{2}(?P=b)[0-9]{2}(?P=b)[0-9]{2}"
    r"|(?P<h1>[0-9]{4})[ .-](?P<h2>[0-9]{4}))"
    r"(?![0-9]|[.,/-][0-9])"
)
# A 4+4 group right after these is a page range or a citation locator, not a phone number.
_RANGE_CONTEXT_RE = re.compile(r"(?:\b(?:pp?|s|side|sider|pages?|vol)\.?|[0-9][:;]) ?$")
_GROUP_RE = re.compile(r"[ .-]?\(?[0-9]{1,8}\)?$")


def _valid_phone(raw: str, national: bool) -> bool:
    try:
        number = phonenumbers.parse(raw, "NO")
    except phonenumbers.NumberParseException:
        return False
    if national and number.country_code != 47:
        return False
    return phonenumbers.is_valid_number(number)


def _is_range(folded: str, m: re.Match[str]) -> bool:
    """Whether a 4+4 group reads as a year range or a page range."""
    first, second = int(m["h1"]), int(m["h2"])
    if 1800 <= first <= 2099 and 1800 <= second <= 2099:
        return True
    return _RANGE_CONTEXT_RE.search(folded[max(0, m.start() - 8) : m.start()]) is not None


def _phones(folded: str) -> list[tuple[str, str, int, int]]:
    hits: list[tuple[str, str, int, int]] = []
    taken_until = -1
    for m in _INTERNATIONAL_RE.finditer(folded):
        raw = m.group(0)
        while raw and not _valid_phone(raw, national=False):
            shorter = _GROUP_RE.sub("", raw)  # a year or count right after the number
            raw = shorter if shorter != raw and sum(c.isdigit() for c in shorter) >= 7 else ""
        if raw:
            end = m.start() + len(raw)
            compact = "".join(ch for ch in raw if ch.isdigit() or ch == "+")
            hits.append(("phone", _mask_tail(compact), m.start(), end))
            taken_until = max(taken_until, end)
    for m in _NATIONAL_RE.finditer(folded):
        if m.start() < taken_until and any(h[2] <= m.start() < h[3] for h in hits):
            continue
        if m["h1"] and _is_range(folded, m):
            continue
        digits = "".join(ch for ch in m.group(0) if ch.isdigit())
        if _valid_phone(digits, national=True):
            hits.append(("phone", _mask_tail(digits), m.start(), m.end()))
    return hits


# --------------------------------------------------------------------------------------
# E-mail addresses
# --------------------------------------------------------------------------------------

_ATOM = r"[\w!#$%&'*+/=?^`{|}~-]+"
_EMAIL_RE = re.compile(
    rf'(?:(?<![\w.!#$%&\'*+/=?^`{{|}}~-]){_ATOM}(?:\. ?{_ATOM})*|"(?:[^"\\\x00]|\\.){{1,64}}")'
    r" ?@ ?"
    r"(?:(?:[^\W_](?:\w|- ?){0,62}\. ?)+[^\W\d_]{2,63}(?!\w)"
    r"|\[(?:ipv6:[0-9a-f:.]{2,45}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})\])"
)
_EMAIL_WINDOW = 320


def _emails(folded: str) -> list[tuple[str, str, int, int]]:
    """E-mail addresses around each ``@`` (a regex over the whole text would try every word)."""
    hits: dict[tuple[int, int], str] = {}
    at = folded.find("@")
    while at >= 0:
        lo, hi = max(0, at - _EMAIL_WINDOW), min(len(folded), at + _EMAIL_WINDOW)
        for m in _EMAIL_RE.finditer(folded, lo, hi):
            if m.start() <= at < m.end():
                hits.setdefault((m.start(), m.end()), m.group(0))
        at = folded.find("@", at + 1)
    return [("email", _mask_tail(v.replace(" ", "")), s, e) for (s, e), v in hits.items()]


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

_NAME_PART_SPLIT_RE = re.compile(r"[ -]+")


def compile_names(names: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern for all listed names (folded), longest first so a full name wins."""
    if isinstance(names, str):
        # A bare string is a Sequence[str] of single letters, which would flag every text.
        raise TypeError("names must be a sequence of names, not a single string")
    alternatives: dict[str, str] = {}
    for name in names:
        parts = [p for p in _NAME_PART_SPLIT_RE.split(fold(name).replace(_SEP, " ")) if p]
        if parts:
            alternatives.setdefault(" ".join(parts), "[ -]+".join(re.escape(p) for p in parts))
    if not alternatives:
        return None
    ordered = sorted(alternatives.values(), key=len, reverse=True)
    # Whole words; the optional "s" / "'s" is the genitive ("Olas mor"), still the name.
    return re.compile(rf"(?<!\w)(?:{'|'.join(ordered)})(?:'?s)?(?!\w)")


def _names(folded: str, pattern: re.Pattern[str] | None) -> list[tuple[str, str, int, int]]:
    if pattern is None:
        return []
    return [("name", "", m.start(), m.end()) for m in pattern.finditer(folded)]


# --------------------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------------------


def _detect(folded: str, names: re.Pattern[str] | None) -> list[tuple[str, str, int, int]]:
    """Every detector on folded text; on overlap the earlier kind in :data:`KINDS` wins."""
    accepted: list[tuple[str, str, int, int]] = []
    has_digits = any(d in folded for d in "0123456789")
    groups = (
        _identity_numbers(folded) if has_digits else [],
        _emails(folded) if "@" in folded else [],
        _phones(folded) if has_digits else [],
        _names(folded, names),
    )
    for hits in groups:
        for hit in hits:
            if not any(hit[2] < other[3] and other[2] < hit[3] for other in accepted):
                accepted.append(hit)
    return sorted(accepted, key=lambda h: (h[2], h[3]))


def scan(text: str, names: re.Pattern[str] | None = None) -> list[Hit]:
    """Identifiers in one string, with offsets into ``text`` as given."""
    if not text:
        return []
    folded, origin = fold_with_offsets(text)
    hits = []
    for kind, masked, start, end in _detect(folded, names):
        s, e = origin[start], origin[end - 1] + 1
        if kind == "name":
            masked = _mask_name(text[s:e])
        hits.append(Hit(kind, masked, s, e))
    return hits


def flag_texts(texts: Sequence[str], names: re.Pattern[str] | None = None) -> list[int]:
    """Indices of the strings in ``texts`` that hold at least one identifier.

    All strings are joined by NUL and folded and scanned once, which is far faster than one
    call per cell; a string that itself holds a NUL makes this fall back to one call each.
    """
    if not texts:
        return []
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [i for i, t in enumerate(texts) if scan(t, names)]
    folded = fold(joined)
    hits = _detect(folded, names)
    if not hits:
        return []
    bounds = []
    at = folded.find(_SEP)
    while at >= 0:
        bounds.append(at)
        at = folded.find(_SEP, at + 1)
    return sorted({bisect.bisect_right(bounds, hit[2]) for hit in hits})
