"""Tests for the privacy gate (analysis.privacy).

Identity numbers are generated here with an independent implementation of the official
control-digit weights, so the tests do not merely repeat the module's own arithmetic.
"""

from __future__ import annotations

import json
import math
import unicodedata

import pandas as pd
import pytest
from stdnum.no import fodselsnummer

from analysis.privacy import (
    HINT,
    KINDS,
    Finding,
    PrivacyError,
    check,
    is_identifier_free,
    load_name_list,
    scan_frame,
    scan_text,
    scan_texts,
    summary_record,
)

K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """Official mod-11 control digit, or None where the rule yields 10 (number unusable)."""
    value = (11 - sum(w * int(d) for w, d in zip(weights, digits, strict=True))) % 11
    return None if value == 10 else value


def identity_number(day: int, month: int, year2: int, individual: int = 0) -> str:
    """First checksum-valid identity number for a (possibly offset) date, starting at
    ``individual`` and counting up, because some individual numbers have no valid k1/k2."""
    for ind in range(individual, 1000):
        base = f"{day:02d}{month:02d}{year2:02d}{ind:03d}"
        k1 = control_digit(base, K1_WEIGHTS)
        if k1 is None:
            continue
        k2 = control_digit(base + str(k1), K2_WEIGHTS)
        if k2 is None:
            continue
        return f"{base}{k1}{k2}"
    raise AssertionError("no valid individual number")  # pragma: no cover


def flip(number: str, position: int) -> str:
    """Change one digit; on a control digit this always breaks the checksum."""
    return number[:position] + str((int(number[position]) + 1) % 10) + number[position + 1 :]


ORDINARY = [
    identity_number(1, 1, 90),
    identity_number(29, 2, 0, 500),  # leap day in 2000
    identity_number(31, 12, 85, 123),
    "15108695088",  # the python-stdnum documentation example
]
D_NUMBERS = [identity_number(41, 1, 90), identity_number(71, 3, 75, 400)]
H_NUMBERS = [identity_number(1, 41, 90), identity_number(28, 52, 61, 250)]
TENOR = [identity_number(1, 81, 90), identity_number(17, 92, 4, 800)]
TENOR_D = [identity_number(45, 85, 99, 10)]

ID_CASES = (
    [(n, "fodselsnummer") for n in ORDINARY]
    + [(n, "d-number") for n in D_NUMBERS]
    + [(n, "h-number") for n in H_NUMBERS]
    + [(n, "fodselsnummer") for n in TENOR]
    + [(n, "d-number") for n in TENOR_D]
)


# --------------------------------------------------------------------------------------
# Identity numbers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ORDINARY + D_NUMBERS + H_NUMBERS)
def test_generator_agrees_with_stdnum(number: str) -> None:
    assert fodselsnummer.is_valid(number)


@pytest.mark.parametrize(("number", "kind"), ID_CASES)
@pytest.mark.parametrize(
    "template",
    [
        "{compact}",
        "{date} {pers}",
        "{date}.{pers}",
        "Fødselsnummeret hans er {compact}, så vi må være forsiktige.",
        "Hun oppga «{date} {pers}» på skjemaet i går (på Ærø).",
        "fnr:{compact}.",
    ],
)
def test_identity_numbers_are_caught(number: str, kind: str, template: str) -> None:
    text = template.format(compact=number, date=number[:6], pers=number[6:])
    findings = scan_text(text)
    assert [f.kind for f in findings] == [kind]
    (hit,) = findings
    assert text[hit.start : hit.end].replace(" ", "").replace(".", "") == number
    assert hit.masked == "*" * 9 + number[-2:]


@pytest.mark.parametrize("number", [n for n, _ in ID_CASES])
@pytest.mark.parametrize("position", [9, 10])
def test_checksum_invalid_numbers_are_not_flagged(number: str, position: int) -> None:
    broken = flip(number, position)
    assert scan_text(broken) == []
    assert scan_text(f"Nummer {broken[:6]} {broken[6:]} er ugyldig.") == []


@pytest.mark.parametrize(
    ("day", "month"),
    [(0, 1), (32, 1), (30, 2), (29, 2 + 40), (1, 13), (1, 0), (72, 1), (1, 53), (1, 93)],
)
def test_checksum_valid_but_dateless_numbers_are_not_flagged(day: int, month: int) -> None:
    year2 = 1  # not a leap year in any century
    assert scan_text(identity_number(day, month, year2)) == []


@pytest.mark.parametrize(
    "text",
    [
        f"9{ORDINARY[0]}",  # inside a 12-digit run
        f"{ORDINARY[0]}7",
        f"{ORDINARY[0][:6]}   -  {ORDINARY[0][6:]}",  # more than two separators
    ],
)
def test_identity_number_boundaries(text: str) -> None:
    assert not [f for f in scan_text(text) if f.kind in {"fodselsnummer", "d-number"}]


def test_identity_number_is_not_also_a_phone() -> None:
    for number, kind in ID_CASES:
        assert [f.kind for f in scan_text(f"{number[:6]} {number[6:]}")] == [kind]


# --------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("+47 22 33 44 55", "+47 22 33 44 55"),
        ("+47 412 34 567", "+47 412 34 567"),
        ("+4741234567", "+4741234567"),
        ("(+47) 41234567", "(+47) 41234567"),
        ("0047 41234567", "0047 41234567"),
        ("0047 22 33 44 55", "0047 22 33 44 55"),
        ("41234567", "41234567"),
        ("412 34 567", "412 34 567"),
        ("41 23 45 67", "41 23 45 67"),
        ("99 88 77 66", "99 88 77 66"),
        ("Ring meg på 412 34 567 før fredag, så går det bra.", "412 34 567"),
        ("Tlf: 22334455 (sentralbord på Øyer)", "22334455"),
        ("Min svigerinne i Sverige har +46 8 123 456 78.", "+46 8 123 456 78"),
    ],
)
def test_phone_numbers_are_caught(text: str, hit: str) -> None:
    findings = scan_text(text)
    assert [f.kind for f in findings] == ["phone"]
    assert text[findings[0].start : findings[0].end] == hit
    assert findings[0].masked.endswith(hit[-2:])
    assert set(findings[0].masked[:-2]) == {"*"}


FALSE_POSITIVES = [
    "The search returned 13,178 articles.",
    "in 2021",
    "17 managers were interviewed.",
    "between 2015–2021",
    "between 2015-2021",
    "doi:10.1007/s10488-022-01242-x",
    "https://doi.org/10.1186/s12913-020-05923-4",
    "45 % of the peer workers and 45% of the managers",
    "n = 172",
    "n=172, p < 0.001, 95 % CI 22.33–44.55",
    "pp. 4550-4812",
    "a budget of NOK 41 000 000",
    "ISBN 978-82-15-03211-2",
    "Table 3 (2019, 2020, 2021)",
    "Studien fant at 37,5 % av de ansatte i Bodø og Tromsø var fornøyde.",
    "Se [@smith2020; @doe2021] og @roe2022.",
    "Olav og Kolaboration-prosjektet i Sogn",
    "Versjon 1.2.3 og 4.5.6, kapittel 12345678901234",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_ordinary_numbers_in_prose_are_not_flagged(text: str) -> None:
    assert scan_text(text, names=["Ola", "Åse Kjærstad"]) == []
    assert is_identifier_free(text, names=["Ola"])


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("name@example.no", "name@example.no"),
        ("first.last+tag@sub.domain.com", "first.last+tag@sub.domain.com"),
        ("Send til kari.nordmann@helse-bergen.no i dag.", "kari.nordmann@helse-bergen.no"),
        ("E-post: åse@kjærstad.no.", "åse@kjærstad.no"),
        ("<ola_n@uio.no>", "ola_n@uio.no"),
    ],
)
def test_emails_are_caught(text: str, hit: str) -> None:
    findings = scan_text(text)
    assert [f.kind for f in findings] == ["email"]
    assert text[findings[0].start : findings[0].end] == hit
    assert hit not in findings[0].masked


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------

NAMES = ["Ola", "Åse Kjærstad", "Kari Nordmann"]


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Ola sa at det hjalp.", "Ola"),
        ("og så sa OLA det", "OLA"),
        ("(ola)", "ola"),
        ("Olas mor var med.", "Olas"),
        ("Ola-gruppa", "Ola"),
        ("Åse Kjærstad fortalte", "Åse Kjærstad"),
        ("åse kjærstad fortalte", "åse kjærstad"),
        ("ÅSE  KJÆRSTAD", "ÅSE  KJÆRSTAD"),
        ("Åse\nKjærstad", "Åse\nKjærstad"),
        (unicodedata.normalize("NFD", "Hei Åse Kjærstad!"), None),
        ("Kari-Nordmann", "Kari-Nordmann"),
    ],
)
def test_names_are_caught(text: str, hit: str | None) -> None:
    findings = scan_text(text, names=NAMES)
    assert [f.kind for f in findings] == ["name"]
    (finding,) = findings
    matched = text[finding.start : finding.end]
    expected = hit if hit is not None else unicodedata.normalize("NFD", "Åse Kjærstad")
    assert matched == expected
    assert finding.masked[0] == matched[0] or finding.masked[0] == "Å"
    assert set(finding.masked[1:]) == {"*"}


def test_name_list_in_nfd_matches_nfc_text() -> None:
    nfd_list = [unicodedata.normalize("NFD", "Åse Kjærstad")]
    assert [f.kind for f in scan_text("Åse Kjærstad kom", names=nfd_list)] == ["name"]


@pytest.mark.parametrize(
    "text",
    ["Olav kom", "Kolaboration", "Olaf", "golan", "Åse kom alene", "Kari kom", "Nordmann"],
)
def test_partial_names_are_not_flagged(text: str) -> None:
    assert scan_text(text, names=NAMES) == []


def test_names_must_be_a_sequence_not_a_string() -> None:
    with pytest.raises(TypeError):
        scan_text("Ola", names="Ola")


def test_load_name_list(tmp_path) -> None:
    path = tmp_path / "names.txt"
    nfd = unicodedata.normalize("NFD", "Åse   Kjærstad")
    path.write_text(
        f"\ufeff# real names, never commit\nOla\n\n  Kari Nordmann  # pilot\n{nfd}\nola\n   \n",
        encoding="utf-8",
    )
    names = load_name_list(path)
    assert names == ["Ola", "Kari Nordmann", "Åse Kjærstad"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


# --------------------------------------------------------------------------------------
# Messages, errors and the summary record never leak the identifier
# --------------------------------------------------------------------------------------

PHONE = "41234567"
MIXED = (
    f"Kari Nordmann ({ORDINARY[0]}) ringte fra {PHONE[:3]} {PHONE[3:5]} {PHONE[5:]}, "
    f"e-post kari@nordmann.no, D-nummer {D_NUMBERS[0][:6]}.{D_NUMBERS[0][6:]}"
)
SECRETS = [ORDINARY[0], D_NUMBERS[0], PHONE, "kari@nordmann.no", "Kari Nordmann", "Nordmann"]


def _mixed_findings() -> list[Finding]:
    return scan_texts(
        [
            ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", MIXED),
            ("data/segments.csv", "row 10, column text", f"Ring {PHONE}"),
            ("data/segments.csv", "row 9, column text", "Kari Nordmann"),
        ],
        names=["Kari Nordmann"],
    )


def test_scan_texts_locations_and_kinds() -> None:
    findings = _mixed_findings()
    assert [(f.file, f.location, f.kind) for f in findings] == [
        ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", "name"),
        ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", "fodselsnummer"),
        ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", "phone"),
        ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", "email"),
        ("data/codes.qdpx", "guid 3F2504E0-4F89-11D3-9A0C-0305E82C3301", "d-number"),
        ("data/segments.csv", "row 9, column text", "name"),
        ("data/segments.csv", "row 10, column text", "phone"),
    ]


def test_message_never_contains_the_identifier() -> None:
    for finding in _mixed_findings():
        line = finding.message()
        assert line.startswith(f"{finding.file}: {finding.location}: {finding.kind} ")
        assert "\n" not in line
        for secret in SECRETS:
            assert secret not in line


def test_message_format() -> None:
    finding = Finding("data/x.csv", "row 12, column text", "fodselsnummer", "*********45", 0, 11)
    assert finding.message() == "data/x.csv: row 12, column text: fodselsnummer *********45"


def test_finding_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError):
        Finding("f", "l", "passport", "***", 0, 3)


def test_check_raises_privacy_error_without_identifiers() -> None:
    findings = _mixed_findings()
    with pytest.raises(PrivacyError) as info:
        check(findings)
    error = info.value
    text = str(error)
    assert isinstance(error, RuntimeError)
    assert len(error.findings) == len(findings)
    for secret in SECRETS:
        assert secret not in text
    lines = text.splitlines()
    assert lines[-1] == HINT
    assert "fodselsnummer: 1, d-number: 1, phone: 2, email: 1, name: 2" in lines[-2]
    body = [line.strip() for line in lines[1:-2]]
    assert body == [f.message() for f in findings]
    assert body.index("data/segments.csv: row 9, column text: name K************") < body.index(
        "data/segments.csv: row 10, column text: phone ******67"
    )


def test_check_passes_silently_without_findings() -> None:
    assert check([]) is None


def test_summary_record_has_counts_only() -> None:
    findings = _mixed_findings()
    scanned = {"data/codes.qdpx": 40, "data/segments.csv": 120, "data/cases.csv": 5}
    record = summary_record(findings, scanned)
    dumped = json.dumps(record, ensure_ascii=False)
    for finding in findings:
        assert finding.masked not in dumped
        assert finding.location not in dumped
    for secret in SECRETS:
        assert secret not in dumped
    assert record["status"] == "fail"
    assert record["texts_scanned"] == 165
    assert record["findings_total"] == 7
    assert record["findings_by_kind"] == {
        "fodselsnummer": 1,
        "d-number": 1,
        "h-number": 0,
        "phone": 2,
        "email": 1,
        "name": 2,
    }
    assert record["files"]["data/cases.csv"] == {
        "texts_scanned": 5,
        "findings": 0,
        "findings_by_kind": {},
    }
    assert record["files"]["data/segments.csv"]["findings_by_kind"] == {"phone": 1, "name": 1}
    assert set(record["findings_by_kind"]) == set(KINDS)


def test_summary_record_pass() -> None:
    record = summary_record([], {"data/segments.csv": 3})
    assert record["status"] == "pass"
    assert record["findings_total"] == 0
    json.dumps(record)


# --------------------------------------------------------------------------------------
# Data frames
# --------------------------------------------------------------------------------------


def test_scan_frame_reports_csv_line_and_column() -> None:
    df = pd.DataFrame(
        {
            "id": ["s1", "s2", "s3", "s4"],
            "text": ["Helt vanlig tekst.", None, f"Ring {PHONE}", float("nan")],
            "note": ["", "Ola var der", math.nan, f"fnr {ORDINARY[1]}"],
        }
    )
    findings = scan_frame(df, ["text", "note"], "data/segments.csv", names=["Ola"])
    assert [(f.location, f.kind) for f in findings] == [
        ("row 3, column note", "name"),
        ("row 4, column text", "phone"),
        ("row 5, column note", "fodselsnummer"),
    ]
    assert all(f.file == "data/segments.csv" for f in findings)
    # The id column was not asked for and holds nothing anyway; offsets are in-cell.
    assert findings[1].start == len("Ring ")


def test_scan_frame_counts_by_position_and_honours_row_offset() -> None:
    df = pd.DataFrame({"text": ["a", "b", f"{PHONE}"]}, index=[10, 20, 30])
    filtered = df[df["text"] != "a"]
    findings = scan_frame(filtered, ["text"], "x.csv", row_offset=1)
    assert [f.location for f in findings] == ["row 2, column text"]


def test_scan_frame_with_pandas_string_dtype() -> None:
    df = pd.DataFrame({"text": pd.array(["ok", None, PHONE], dtype="string")})
    assert [f.location for f in scan_frame(df, ["text"], "x.csv")] == ["row 4, column text"]


def test_scan_frame_missing_column_is_an_error() -> None:
    with pytest.raises(KeyError, match="txt"):
        scan_frame(pd.DataFrame({"text": ["a"]}), ["txt"], "x.csv")


def test_scan_texts_skips_none() -> None:
    assert scan_texts([("f", "guid 1", None), ("f", "guid 2", "ok")]) == []  # type: ignore[list-item]
