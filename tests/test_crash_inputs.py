"""Inputs that used to crash a reader, exhaust memory or be silently accepted.

Table-driven: every case builds a real file at test time (no large file is committed) and
must end in one collected-problems error whose message names the file and the element
(``.qdpx``: the element and its guid or line; sheets: row and column), never a traceback,
and never echoes the offending input text unmasked.
"""

from __future__ import annotations

import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from analysis.problems import ProblemsError
from analysis.qdpx import QdpxError, read_qdpx
from analysis.validate import InputError, read_table, schema_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qdpx_fixtures as fx  # noqa: E402

HEADER = (
    "article_id,first_author,year,country,design,sector,setting,peer_title,role_category,"
    "stages,outcomes"
)
ROW = "A{n:02d},Author,{year},Norway,mixed,mental health,community,{title},peer support,co-design,"


# --------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------


def _patch_member(
    path: Path,
    member: str,
    *,
    flag: int | None = None,
    method: int | None = None,
    size: int | None = None,
    csize: int | None = None,
) -> None:
    """Rewrite header fields of one member in place (local and central headers)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = data.find(name)
    while at >= 0:
        for sig, start, flag_at, method_at in (
            (b"PK\x03\x04", 30, 6, 8),
            (b"PK\x01\x02", 46, 8, 10),
        ):
            head = at - start
            if head >= 0 and data[head : head + 4] == sig:
                if flag is not None:
                    struct.pack_into("<H", data, head + flag_at, flag)
                if method is not None:
                    struct.pack_into("<H", data, head + method_at, method)
                if sig == b"PK\x01\x02" and size is not None:
                    struct.pack_into("<I", data, head + 24, size)
                if sig == b"PK\x01\x02" and csize is not None:
                    struct.pack_into("<I", data, head + 20, csize)
        at = data.find(name, at + 1)
    path.write_bytes(bytes(data))


def _minimal(tmp: Path, **knobs: object) -> Path:
    return fx.minimal(tmp, **knobs)  # type: ignore[arg-type]


def _with_source_bytes(tmp: Path, data: bytes) -> Path:
    """The minimal project whose transcript member holds ``data``."""
    path = fx.minimal(tmp, include_source_file=False)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(f"sources/{fx.SOURCE}.txt", data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _coded_text(tmp: Path, text: str) -> Path:
    """A project with one coding of the first 12 code points of ``text``."""
    src = fx.Source(
        fx.SOURCE,
        "Intervju",
        text,
        [fx.Selection(fx.SELECTION, 0, 12, [fx.Coding(fx.CODING, fx.CODE, fx.USER)])],
    )
    xml = fx.project_xml(
        origin="fixture",
        users=[(fx.USER, "Koder")],
        codes=[fx.Code(fx.CODE, "Forståelse")],
        sources=[src],
    )
    return fx.write_archive(tmp / "formula.qdpx", {"project.qde": xml, **fx.source_members([src])})


def _encrypted(tmp: Path) -> Path:
    path = _minimal(tmp)
    _patch_member(path, f"sources/{fx.SOURCE}.txt", flag=0x1)
    return path


def _aes(tmp: Path) -> Path:
    path = _minimal(tmp)
    _patch_member(path, f"sources/{fx.SOURCE}.txt", method=99)
    return path


def _zip_bomb(tmp: Path) -> Path:
    return _with_source_bytes(tmp, b" " * (4 << 20))  # 4 MiB of spaces: ~4 KiB compressed


def _huge_total(tmp: Path) -> Path:
    """Ten members that declare 500 MB from 5 MB each (a plausible ratio): the archive as a
    whole is refused, before anything is decompressed."""
    path = _minimal(tmp)
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(10):
            zf.writestr(f"sources/extra{i}.txt", b"x" * 64)
    for i in range(10):
        _patch_member(path, f"sources/extra{i}.txt", size=500_000_000, csize=5_000_000)
    return path


QDPX_CASES: dict[str, tuple[Callable[[Path], Path], list[str]]] = {
    # crashes: OverflowError, RuntimeError, NotImplementedError
    "position_10_30": (
        lambda t: _minimal(t, start=10**30),
        [f"PlainTextSelection {fx.SELECTION}", "startPosition", "too large"],
    ),
    "position_5000_digits": (
        lambda t: _minimal(t, end="9" * 5000),  # type: ignore[arg-type]
        [f"PlainTextSelection {fx.SELECTION}", "endPosition"],
    ),
    "arabic_indic_position": (
        lambda t: _minimal(t, start="١"),  # type: ignore[arg-type]
        [f"PlainTextSelection {fx.SELECTION}", "not an integer"],
    ),
    "encrypted_member": (_encrypted, [f"{fx.SOURCE}.t", "encrypted"]),
    "winzip_aes_method_99": (_aes, [f"{fx.SOURCE}.t", "compression method 99", "AES"]),
    # memory
    "zip_bomb_ratio": (_zip_bomb, [f"{fx.SOURCE}.t", "zip bomb"]),
    "total_uncompressed_size": (_huge_total, ["unpacks to", "MiB"]),
    # silent acceptance
    "utf16_without_bom": (
        lambda t: _with_source_bytes(t, fx.TEXT.encode("utf-16-le")),
        [f"TextSource {fx.SOURCE}", "UTF-16", "byte order mark"],
    ),
    "nul_in_transcript": (
        lambda t: _with_source_bytes(t, b"Likepersonen\x00 forstod meg.\n"),
        [f"TextSource {fx.SOURCE}", "NUL"],
    ),
    "formula_in_coded_text": (
        lambda t: _coded_text(t, '=HYPERLINK("http://x","klikk") sa hun.\n'),
        [f"PlainTextSelection {fx.SELECTION}", "CSV injection"],
    ),
    "formula_in_code_name": (
        lambda t: fx.minimal(t, extra_codes=[fx.Code(fx.guid(12), "@SUM(A1)")]),
        [f"Code {fx.guid(12)}", "CSV injection"],
    ),
}


@pytest.mark.parametrize("case", sorted(QDPX_CASES))
def test_qdpx_input_gives_a_located_message(tmp_path: Path, case: str) -> None:
    build, words = QDPX_CASES[case]
    path = build(tmp_path)
    with pytest.raises(QdpxError) as caught:
        read_qdpx(path)
    assert isinstance(caught.value, ProblemsError)
    message = str(caught.value)
    for line in caught.value.problems:
        assert line.startswith(f"{path}: "), line
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "HYPERLINK" not in message and "forstod" not in message  # quoted text is masked


# --------------------------------------------------------------------------------------
# sheets
# --------------------------------------------------------------------------------------


def _csv(rows: list[str], encoding: str = "utf-8") -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / "extraction.csv"
        path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
        return path

    return build


def _row(n: int = 1, year: str = "2019", title: str = "likeperson") -> str:
    return ROW.format(n=n, year=year, title=title)


def _xlsx(edit: Callable[[str], str] | None = None, year: object = 2019) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / "extraction.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(HEADER.split(","))
        for n in range(1, 4):
            values = _row(n).split(",")
            values[2] = year if n == 2 else 2019
            sheet.append(values)
        book.save(path)
        if edit is not None:
            with zipfile.ZipFile(path) as zf:
                members = {i.filename: zf.read(i) for i in zf.infolist()}
            sheet_xml = "xl/worksheets/sheet1.xml"
            members[sheet_xml] = edit(members[sheet_xml].decode()).encode()
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(name, data)
        return path

    return build


SHEET_CASES: dict[str, tuple[Callable[[Path], Path], int | None, str | None, list[str]]] = {
    "year_of_5000_digits_csv": (_csv([_row(year="9" * 5000)]), 2, "year", ["an integer between"]),
    "year_of_5000_digits_xlsx": (
        _xlsx(lambda x: x.replace("<v>2019</v>", "<v>" + "9" * 5000 + "</v>", 2)),
        2,
        None,
        ["cannot be read past row 1", "ValueError"],
    ),
    "truncated_xlsx_sheet": (
        _xlsx(lambda x: x[: len(x) * 2 // 3]),
        None,
        None,
        ["cannot be read past row", "ParseError"],
    ),
    "uncached_xlsx_formula": (
        _xlsx(year="=2000+19"),
        3,
        "year",
        ["formula whose result was never saved"],
    ),
    "nul_in_cell": (_csv([_row(title="like\x00person")]), 2, "peer_title", ["NUL"]),
    "utf16_without_bom": (_csv([_row()], "utf-16-le"), None, None, ["UTF-16", "byte order mark"]),
    "arabic_indic_digits": (_csv([_row(year="٢٠١٩")]), 2, "year", ["Arabic-Indic"]),
    "formula_hyperlink": (
        _csv([_row(title='"=HYPERLINK(""http://x"",""y"")"')]),
        2,
        "peer_title",
        ["CSV injection"],
    ),
    "formula_plus": (_csv([_row(title="+47 cmd")]), 2, "peer_title", ["CSV injection"]),
    "formula_minus": (_csv([_row(title="-2+3")]), 2, "peer_title", ["CSV injection"]),
    "formula_at": (_csv([_row(title="@SUM(A1)")]), 2, "peer_title", ["CSV injection"]),
}


@pytest.mark.parametrize("case", sorted(SHEET_CASES))
def test_sheet_input_gives_a_located_message(tmp_path: Path, case: str) -> None:
    build, row, column, words = SHEET_CASES[case]
    path = build(tmp_path)
    with pytest.raises(InputError) as caught:
        read_table(path, schema_path("extraction"))
    assert isinstance(caught.value, ProblemsError)
    located = [(p.row, p.column) for p in caught.value.problems]
    if row is not None or column is not None:
        assert (row, column) in located, str(caught.value)
    message = str(caught.value)
    assert all(line.startswith(f"{path}: ") for line in caught.value.lines)
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "HYPERLINK" not in message and "9" * 50 not in message
