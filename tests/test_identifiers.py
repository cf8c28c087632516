"""Table-driven tests of the identifier detectors (analysis.identifiers).

Every written form issue 11 lists (and more) is one row: the text, the kind that must be
found (None: nothing may fire) and, for positives, the exact span that must be reported.
Identity numbers are computed here with the official control-digit weights, independently of
the module's own arithmetic (python-stdnum).
"""

from __future__ import annotations

import pytest

from analysis.identifiers import KINDS, compile_names, flag_texts, fold, scan

K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _control(digits: str, weights: tuple[int, ...]) -> int | None:
    value = (11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True))) % 11
    return None if value == 10 else value


def identity_number(day: int, month: int, year2: int, individual: int = 0) -> str:
    """The first checksum-valid number for a (possibly D/H-offset) date."""
    for ind in range(individual, 1000):
        base = f"{day:02d}{month:02d}{year2:02d}{ind:03d}"
        k1 = _control(base, K1)
        k2 = None if k1 is None else _control(base + str(k1), K2)
        if k1 is not None and k2 is not None:
            return f"{base}{k1}{k2}"
    raise AssertionError("no valid individual number")  # pragma: no cover


FNR = identity_number(15, 5, 86, 100)  # 15.05.86
DNR = identity_number(55, 5, 86, 200)  # D-number: day + 40
HNR = identity_number(15, 45, 86, 300)  # H-number: month + 40
D, P = FNR[:6], FNR[6:]
DD, DP = DNR[:6], DNR[6:]
ZWSP, SHY, ENDASH = "\u200b", "\u00ad", "\u2013"
NAMES = ["Åse Kjærstad", "Ørjan", "Ola", "Kari Nordmann"]

# (text, kind or None, reported span or None for "the whole text")
CASES: list[tuple[str, str | None, str | None]] = [
    # --- fødselsnummer: compact, date + personal number, separators, breaks, invisibles
    (FNR, "fodselsnummer", None),
    (f"{D} {P}", "fodselsnummer", None),
    (f"{D}.{P}", "fodselsnummer", None),
    (f"{D}-{P}", "fodselsnummer", None),
    (f"{D}{ENDASH}{P}", "fodselsnummer", None),
    (f"{D} {ENDASH} {P}", "fodselsnummer", None),  # two separators
    (f"{D}  {P}", "fodselsnummer", None),  # two spaces
    (f"{D}\n{P}", "fodselsnummer", None),  # LF
    (f"{D}\r\n{P}", "fodselsnummer", None),  # CRLF
    (f"{FNR[:4]}{ZWSP}{FNR[4:]}", "fodselsnummer", None),
    (f"{FNR[:5]}{SHY}{FNR[5:]}", "fodselsnummer", None),
    (f"{D[:2]}.{D[2:4]}.{D[4:]} {P}", "fodselsnummer", None),  # 15.05.86 12345
    (f"{D[:2]}.{D[2:4]}.19{D[4:]} {P}", "fodselsnummer", None),  # 15.05.1986 12345
    (f"{D[:2]}.{D[2:4]}.{D[4:]}{ENDASH}{P}", "fodselsnummer", None),
    (f"{D[:2]}/{D[2:4]}/{D[4:]}\r\n{P}", "fodselsnummer", None),
    (f"Fnr: {D} {P}.", "fodselsnummer", f"{D} {P}"),
    (f"«{D}{ZWSP} {P}»", "fodselsnummer", f"{D}{ZWSP} {P}"),
    # --- D- and H-numbers likewise
    (DNR, "d-number", None),
    (f"{DD} {DP}", "d-number", None),
    (f"{DD}{ENDASH}{DP}", "d-number", None),
    (f"{DD}\r\n{DP}", "d-number", None),
    (f"{DNR[:3]}{ZWSP}{DNR[3:]}", "d-number", None),
    (f"{DD[:2]}.{DD[2:4]}.{DD[4:]} {DP}", "d-number", None),
    (HNR, "h-number", None),
    (f"{HNR[:6]} {HNR[6:]}", "h-number", None),
    # --- not identity numbers: wrong control digit, dates, counts, ISBNs, DOIs, years
    (FNR[:-1] + str((int(FNR[-1]) + 1) % 10), None, None),
    (f"{D} {P[:-1]}{(int(P[-1]) + 1) % 10}", None, None),
    (f"9{FNR}", None, None),  # inside a longer digit run
    (f"{D}   -  {P}", None, None),  # more than two separators
    ("15.05.1986", None, None),
    ("15.05.86 og 16.05.86", None, None),
    ("Intervjuet fant sted 15.05.2021 kl. 10.30.", None, None),
    ("ISBN 978-82-15-03211-2", None, None),
    ("ISBN 9788215032112", None, None),
    ("doi:10.1007/s10488-022-01242-x", None, None),
    ("https://doi.org/10.1186/s12913-020-05923-4", None, None),
    ("in 2021", None, None),
    ("between 2015-2021", None, None),
    (f"between 2015{ENDASH}2021", None, None),
    ("2019 2020", None, None),
    ("pp. 4550-4812", None, None),
    (f"s. 4550{ENDASH}4812", None, None),
    ("Psychiatr Serv 2020;71:4550-4812", None, None),
    ("The search returned 13,178 articles.", None, None),
    ("n=172, p < 0.001, 95 % CI 22.33–44.55", None, None),
    ("a budget of NOK 41 000 000", None, None),
    ("Versjon 1.2.3 og 4.5.6, kapittel 12345678901234", None, None),
    ("B-0012345", None, None),
    ("ID B-00123456", None, None),
    # --- phones
    ("41234567", "phone", None),
    ("412 34 567", "phone", None),
    ("41 23 45 67", "phone", None),
    ("4123 4567", "phone", None),  # grouped 4+4
    ("4123-4567", "phone", None),  # 4+4 with a hyphen
    ("Tlf: 4123 4567", "phone", "4123 4567"),
    ("(4123 4567)", "phone", "4123 4567"),
    ("nr. 4123-4567", "phone", "4123-4567"),
    (f"4123{ENDASH}4567", "phone", None),
    ("412-34-567", "phone", None),
    ("412 34\n567", "phone", None),  # split by a line break
    ("4123\r\n4567", "phone", None),
    (f"412{ZWSP}34567", "phone", None),
    ("+47 412 34 567", "phone", None),
    ("+47\n412 34 567", "phone", None),
    ("0047 41234567", "phone", None),
    ("(+47) 41234567", "phone", None),
    ("Ring +47 22 33 44 55 i 2021", "phone", "+47 22 33 44 55"),
    ("Min svigerinne har +46 8 123 456 78.", "phone", "+46 8 123 456 78"),
    # --- e-mail
    ("kari.nordmann@helse-bergen.no", "email", None),
    ('"kari nordmann"@example.com', "email", None),  # quoted local part
    ("kari@[192.168.10.1]", "email", None),  # IP literal
    ("kari@[IPv6:2001:db8::1]", "email", None),
    ("kari.nordmann@\nhelse-bergen.no", "email", None),  # line break after @
    ("kari.nordmann\r\n@helse-bergen.no", "email", None),
    ("kari.\nnordmann@helse-bergen.no", "email", None),
    ("kari@helse-bergen.\nno", "email", None),
    (f"kari{ZWSP}@uib.no", "email", None),
    ("E-post: åse@kjærstad.no.", "email", "åse@kjærstad.no"),
    ("Se @smith2020 og [@doe2021].", None, None),
    ("user@localhost", None, None),
    # --- listed names, accent- and case-insensitively, across breaks and invisibles
    ("Åse Kjærstad", "name", None),
    ("Ase Kjaerstad", "name", None),
    ("ÅSE KJÆRSTAD", "name", None),
    ("Åse\nKjærstad", "name", None),
    ("Åse\r\nKjærstad", "name", None),
    (f"Å{ZWSP}se Kjær{SHY}stad", "name", None),
    ("A\u030ase Kjærstad", "name", None),  # decomposed Å
    ("Ørjan", "name", None),
    ("Orjan", "name", None),
    ("ørjans", "name", None),  # genitive
    ("Kari-Nordmann", "name", None),
    ("Kari\u2011Nordmann", "name", None),  # non-breaking hyphen
    ("Kari\u00a0Nordmann", "name", None),  # no-break space
    ("Olav kom", None, None),
    ("Kolaboration", None, None),
    ("Åse kom alene", None, None),
    ("Nordmann", None, None),
]


@pytest.mark.parametrize(("text", "kind", "span"), CASES, ids=[repr(c[0]) for c in CASES])
def test_detector_table(text: str, kind: str | None, span: str | None) -> None:
    hits = scan(text, compile_names(NAMES))
    if kind is None:
        assert hits == [], [(h.kind, text[h.start : h.end]) for h in hits]
        return
    assert [h.kind for h in hits] == [kind]
    (hit,) = hits
    assert text[hit.start : hit.end] == (text if span is None else span)


@pytest.mark.parametrize(("text", "kind", "span"), [c for c in CASES if c[1]])
def test_masked_form_never_holds_the_identifier(text: str, kind: str, span: str | None) -> None:
    (hit,) = scan(text, compile_names(NAMES))
    assert hit.kind in KINDS
    digits = "".join(ch for ch in text if ch.isdigit())
    if kind != "name":
        assert digits not in hit.masked or len(digits) <= 2
        assert set(hit.masked[:-2]) <= {"*"}
    else:
        assert set(hit.masked[1:]) == {"*"}


def test_batch_flags_exactly_the_strings_with_hits() -> None:
    """flag_texts (one pass over all strings) agrees with scanning each string."""
    texts = [c[0] for c in CASES]
    pattern = compile_names(NAMES)
    expected = [i for i, t in enumerate(texts) if scan(t, pattern)]
    assert flag_texts(texts, pattern) == expected
    # a string holding the separator falls back to one scan per string, same answer
    assert flag_texts([*texts, "a\x00b"], pattern) == expected


def test_no_match_across_strings_in_a_batch() -> None:
    """Two cells that only form an identifier together are two harmless cells."""
    assert flag_texts([D, P, "Åse", "Kjærstad", "4123", "4567"], compile_names(NAMES)) == []


def test_fold() -> None:
    assert fold(f"Ø{ZWSP}rjan\r\nÆre–Åse\u00a0x") == "orjan aere-ase x"


def test_phone_parser_sees_only_phone_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """IDs, years and counts never reach phonenumbers (speed, and no parser surprises)."""
    import phonenumbers

    calls: list[str] = []
    real = phonenumbers.parse

    def spy(number: str, region: str | None = None, *args: object, **kwargs: object) -> object:
        calls.append(number)
        return real(number, region, *args, **kwargs)

    monkeypatch.setattr(phonenumbers, "parse", spy)
    for text in ["B-0012345", "ID B-00123456", "in 2021", "13,178", "2015-2021", "v1.2.3"]:
        scan(text)
    assert calls == []
    scan("Ring 41234567")  # the spy does see a real candidate
    assert calls == ["41234567"]
