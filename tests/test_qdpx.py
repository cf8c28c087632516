"""Tests of the REFI-QDA importer/exporter on real .qdpx files built at test time.

Why no mocks: the importer's job is to survive what the CAQDAS tools actually write, so
every test reads a genuine zip archive (see ``tests/qdpx_fixtures.py`` for one builder per
tool quirk) or runs the command line in a subprocess.
"""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from analysis import qdpx
from analysis.masking import mask
from analysis.qdpx import (
    CODEBOOK_COLUMNS,
    CODINGS_COLUMNS,
    QdpxError,
    detect_offset_convention,
    read_qdpx,
    stable_guid,
    write_qdpx,
    write_tables,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import qdpx_fixtures as fx  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _rows(project: qdpx.QdpxProject) -> list[tuple]:
    return list(project.codings.loc[:, list(CODINGS_COLUMNS)].itertuples(index=False, name=None))


def _texts(project: qdpx.QdpxProject) -> list[str]:
    return project.codings["text"].tolist()


def _problems(excinfo: pytest.ExceptionInfo[QdpxError]) -> str:
    return "\n".join(excinfo.value.problems)


# --------------------------------------------------------------------------------------
# one test per tool quirk
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("quirk", sorted(fx.QUIRKS))
def test_quirk_codings_and_conventions(tmp_path: Path, quirk: str) -> None:
    fixture = fx.QUIRKS[quirk](tmp_path)
    project = read_qdpx(fixture.path)
    assert _rows(project) == fixture.codings
    assert dict(project.offset_convention) == dict(fixture.conventions)
    # a warning exactly for the sources whose offsets overrule the origin's default
    assert len(project.warnings) == len(fixture.overruled)
    for guid, warning in zip(fixture.overruled, project.warnings, strict=True):
        assert guid in warning and "offsets read as" in warning
    # cp offsets always cut the same text out of the stored source
    texts = dict(zip(project.sources["source_id"], project.sources["text"], strict=True))
    for row in project.codings.itertuples(index=False):
        assert texts[row.source_id][row.cp_start : row.cp_end] == row.text


def test_nvivo_utf16_offsets_bom_crlf_emoji(tmp_path: Path) -> None:
    project = read_qdpx(fx.nvivo(tmp_path).path)
    assert project.origin == "NVivo 12 Pro"
    assert _texts(project) == [
        "håp 🙂 og mening",
        "Jeg føler meg nyttig – også på dårlige dager 💪🏽.",
        "ærlig talt.\r\nJeg føler",
        "Takk 🙏\r\n",
        "bro mellom oss og personalet",
    ]
    # UTF-16 units as written, code points as mapped (two emoji before selection 2)
    first = project.codings.iloc[1]
    assert (first["start"], first["end"], first["cp_start"], first["cp_end"]) == (
        101,
        151,
        100,
        148,
    )
    assert project.codings["coder"].tolist() == [
        "Anne Forsker",
        "Anne Forsker",
        "Bjørn Koder",
        "Bjørn Koder",
        "Anne Forsker",
    ]
    source_text = project.sources["text"].iloc[0]
    assert not source_text.startswith(codecs.BOM_UTF8.decode("utf-8"))
    assert source_text.startswith("Intervjuer") and "\r\n" in source_text
    # nested codes: Håp and Nytte sit under Mening
    assert project.codebook.loc[:, list(CODEBOOK_COLUMNS)].values.tolist() == [
        [fx.guid(10, upper=True), "Mening", "", True],
        [fx.guid(11, upper=True), "Håp", fx.guid(10, upper=True), True],
        [fx.guid(12, upper=True), "Nytte", fx.guid(10, upper=True), True],
        [fx.guid(13, upper=True), "Brobygging", "", True],
    ]


def test_maxqda_codepoints_lowercase_folder_and_cases(tmp_path: Path) -> None:
    project = read_qdpx(fx.maxqda(tmp_path).path)
    assert _texts(project) == [
        " nå er jeg kollega.",
        "Før var jeg pasient 😔",
        "Ledelsen støttet oss.",
    ]
    cases = project.cases
    assert list(cases.columns) == [
        "case_id",
        "name",
        "rolle",
        "fokusgruppe",
        "erfaring_år",
        "source_ids",
        "sources",
        "selection_ids",
    ]
    assert cases["name"].tolist() == ["P03", "P05"]  # sorted, not document order
    assert cases["rolle"].tolist() == ["likeperson", "leder"]
    assert cases["fokusgruppe"].tolist() == ["1", "2"]
    assert cases["erfaring_år"].iloc[0] == "4.5" and pd.isna(cases["erfaring_år"].iloc[1])
    assert cases["source_ids"].iloc[0] == f"{fx.guid(21)};{fx.guid(22)}"
    assert cases["sources"].tolist() == ["P03 intervju;P05 intervju", "P05 intervju"]
    assert project.variables["type"].tolist() == ["Text", "Integer", "Float"]


def test_atlas_nested_groups_sets_and_descriptions(tmp_path: Path) -> None:
    project = read_qdpx(fx.atlas(tmp_path).path)
    book = project.codebook
    assert book["name"].tolist() == [
        "Organisering",
        "Bemanning",
        "Relasjoner",
        "Tillit",
        "Dyp tillit",
    ]
    assert book["codable"].tolist() == [False, True, False, True, True]
    assert book["parent_id"].tolist() == ["", fx.guid(10), "", fx.guid(20), fx.guid(21)]
    assert book["description"].tolist()[:2] == [
        "Kodegruppe: organisatoriske forhold",
        "Antall likepersoner",
    ]
    assert book["color"].tolist()[1] == "#FF8800"
    assert _texts(project) == ["flere likepersoner i teamet", "tillit", "tillit"]
    assert project.sets.values.tolist() == [
        [fx.guid(61), "Kjernekoder", "code", fx.guid(11)],
        [fx.guid(61), "Kjernekoder", "code", fx.guid(21)],
        [fx.guid(62), "Dokumentgruppe 1", "source", fx.guid(31)],
    ]
    assert ("Set", fx.guid(61), "Brukt i artikkel 2") in set(
        project.descriptions.itertuples(index=False, name=None)
    )
    # the memo (a Note with its own text) is not a coded source
    assert project.sources["name"].tolist() == ["Intervju A"]


def test_qualcoder_double_coding_by_two_coders(tmp_path: Path) -> None:
    project = read_qdpx(fx.qualcoder(tmp_path).path)
    first = project.codings[project.codings["selection_id"] == fx.guid(101)]
    assert first["coder"].tolist() == ["AO", "BK"]
    assert first["code_id"].tolist() == [fx.guid(11), fx.guid(11)]
    assert set(first["text"]) == {"møtt som et menneske, ikke som en diagnose"}
    second = project.codings[project.codings["selection_id"] == fx.guid(102)]
    # unnamed user and unlisted user fall back to their guid
    assert second["coder"].tolist() == ["AO", "BK", fx.guid(3), fx.guid(4)]
    # a coding without creatingUser takes the selection's
    third = project.codings[project.codings["selection_id"] == fx.guid(103)]
    assert third[["text", "coder"]].values.tolist() == [["Jeg ble", "BK"]]
    # the layout agreement statistics need: one row per (selection, coder)
    wide = project.codings.pivot_table(
        index="selection_id", columns="coder", values="code_id", aggfunc="first"
    )
    assert wide.loc[fx.guid(101), "AO"] == wide.loc[fx.guid(101), "BK"]


def test_nvivo_mac_codebook_namespace_and_inline_text(tmp_path: Path) -> None:
    fixture = fx.nvivo_mac_codebook(tmp_path)
    project = read_qdpx(fixture.path)
    assert project.codebook["name"].tolist() == ["Anerkjennelse", "Lønn"]
    assert project.codebook["codable"].tolist() == [True, True]  # isCodable absent
    assert _texts(project) == ["Det betydde mye."]
    assert project.sources["plain_text_path"].tolist() == [""]
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fixture.path, validate=True)
    assert "schema error" in str(excinfo.value) and "line " in str(excinfo.value)


def test_lf_normalised_offsets_return_crlf_span(tmp_path: Path) -> None:
    project = read_qdpx(fx.lf_normalised(tmp_path).path)
    assert _texts(project) == ["Linje to", "håp\r\nLinje tre"]
    assert project.codings[["start", "cp_start"]].values.tolist() == [[9, 10], [29, 30]]


def test_lone_cr_in_coded_text_is_quoted_in_csv(tmp_path: Path) -> None:
    text = 'Gammel Mac-tekst\rmed CR alene, og "sitat"\r'
    src = fx.Source(
        fx.SOURCE,
        "Mac, klassisk",
        text,
        [fx.Selection(fx.SELECTION, 6, len(text), [fx.Coding(fx.CODING, fx.CODE, fx.USER)])],
    )
    path = fx.build(
        tmp_path / "cr.qdpx",
        [src],
        origin="x",
        users=[(fx.USER, "K")],
        codes=[fx.Code(fx.CODE, "C")],
    )
    project = read_qdpx(path)
    write_tables(project, tmp_path / "out")
    raw = (tmp_path / "out" / "codings.csv").read_bytes()
    assert raw.count(b"\n") == 2  # header and one row: the CRs sit inside a quoted field
    back = pd.read_csv(tmp_path / "out" / "codings.csv", keep_default_na=False)
    assert back["text"].tolist() == [text[6:]]
    assert back["source"].tolist() == ["Mac, klassisk"]


CSV_FRAMES = {
    # a span that ends between the CR and the LF of a CRLF transcript (NVivo)
    "lone_cr": pd.DataFrame({"text": ["slutt\r", "neste\r\nlinje"], "n": [1, 2]}),
    "lone_lf_quote_comma": pd.DataFrame({"a": ["x\ny", 'si "hei"', "a,b", ""], "b": [1, 2, 3, 4]}),
    "dtypes": pd.DataFrame(
        {
            "s": pd.array(["a", None, "c"], dtype="str"),
            "o": ["x", None, 1.5],
            "f": [0.1, float("nan"), 1e20],
            "i": [1, 2, 3],
            "I": pd.array([1, None, 3], dtype="Int64"),
            "b": [True, False, True],
        }
    ),
    "single_column_empty": pd.DataFrame({"x": ["", "a", None]}),
}


@pytest.mark.parametrize("case", sorted(CSV_FRAMES))
def test_one_csv_writer_quotes_cr_and_matches_to_csv_otherwise(tmp_path: Path, case: str) -> None:
    """analysis.io.write_csv (the DAG) and the qdpx CLI write through one writer: any field
    holding CR or LF is quoted, so every reader sees the same rows; without a CR the bytes
    are those of ``to_csv(index=False, lineterminator="\n")``."""
    from analysis import csvwrite
    from analysis.io import write_csv

    frame = CSV_FRAMES[case]
    write_csv(frame, tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes().decode("utf-8")
    expected = frame.to_csv(index=False, lineterminator="\n")
    has_cr = frame.astype(str).apply(lambda c: c.str.contains("\r")).any().any()
    if not has_cr:
        assert raw == expected
    back = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False)
    assert len(back) == len(frame)  # no row split by a CR
    for column in frame.columns:
        if frame[column].dtype.kind in "OT" or str(frame[column].dtype) == "str":
            want = ["" if pd.isna(v) else str(v) for v in frame[column]]
            assert back[column].tolist() == want
    assert write_tables.__module__ == "analysis.qdpx.read"
    assert "write_csv" in vars(sys.modules["analysis.qdpx.read"])
    assert sys.modules["analysis.qdpx.read"].write_csv is csvwrite.write_csv


def test_cli_progress_only_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the import reports progress on stderr; piped (the DAG, logs) it does not."""
    import pty

    path = fx.minimal(tmp_path)
    cmd = [sys.executable, "-m", "analysis.qdpx", str(path), str(tmp_path / "out")]
    piped = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and "codings read" not in piped.stderr + piped.stdout
    master, slave = pty.openpty()
    done = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=slave, timeout=60)
    os.close(slave)
    shown = os.read(master, 65536).decode("utf-8", errors="replace")
    os.close(master)
    assert done.returncode == 0
    assert "minimal.qdpx: 1 codings read" in shown
    assert "codings read" not in done.stdout.decode()


def test_detect_offset_convention_rules() -> None:
    text = "a🙂b\r\ncd"
    # only UTF-16 units reach the end of the text
    assert detect_offset_convention(text, [(0, 8)]) == "utf16/crlf"
    # fits everywhere, splits nothing: origin decides
    assert detect_offset_convention(text, [(0, 1)]) == "codepoint/crlf"
    assert detect_offset_convention(text, [(0, 1)], origin="NVivo 12") == "utf16/crlf"
    # position 2 is inside the surrogate pair in UTF-16 units
    assert detect_offset_convention(text, [(2, 3)], origin="NVivo 12") == "codepoint/crlf"
    # position 4 is between CR and LF in code points: the LF-normalised count fits
    assert detect_offset_convention(text, [(4, 6)]) == "codepoint/lf"


def test_relative_plaintextpath_and_uppercase_member(tmp_path: Path) -> None:
    src = fx.Source(
        fx.SOURCE,
        "Rel",
        fx.TEXT,
        [fx.Selection(fx.SELECTION, 0, 12, [fx.Coding(fx.CODING, fx.CODE, fx.USER)])],
        plain_text_path="texts\\Intervju.TXT",
        member="Texts/intervju.txt",
    )
    path = fx.build(
        tmp_path / "rel.qdpx",
        [src],
        origin="x",
        users=[(fx.USER, "K")],
        codes=[fx.Code(fx.CODE, "C")],
    )
    assert _texts(read_qdpx(path)) == ["Likepersonen"]


# --------------------------------------------------------------------------------------
# write_tables and the command line
# --------------------------------------------------------------------------------------


def test_write_tables_exact_bytes_and_determinism(tmp_path: Path) -> None:
    project = read_qdpx(fx.atlas(tmp_path).path)
    written = write_tables(project, tmp_path / "out")
    assert [p.name for p in written] == ["codebook.csv", "codings.csv"]  # no cases
    codebook = (tmp_path / "out" / "codebook.csv").read_bytes()
    assert codebook.decode("utf-8").splitlines()[:3] == [
        "code_id,name,parent_id,codable",
        f"{fx.guid(10)},Organisering,,false",
        f"{fx.guid(11)},Bemanning,{fx.guid(10)},true",
    ]
    assert b"\r\n" not in codebook
    codings = (tmp_path / "out" / "codings.csv").read_text(encoding="utf-8")
    assert codings.splitlines()[0] == "selection_id,source,start,end,text,code_id,coder"
    write_tables(project, tmp_path / "again")
    for name in ("codebook.csv", "codings.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_write_tables_cases_and_csv_roundtrip(tmp_path: Path) -> None:
    project = read_qdpx(fx.nvivo(tmp_path).path)
    write_tables(project, tmp_path / "nv")
    back = pd.read_csv(tmp_path / "nv" / "codings.csv", keep_default_na=False)
    assert back["text"].tolist() == _texts(project)  # CRLF and emoji survive the CSV
    project = read_qdpx(fx.maxqda(tmp_path).path)
    write_tables(project, tmp_path / "mq")
    cases = (tmp_path / "mq" / "cases.csv").read_text(encoding="utf-8").splitlines()
    assert cases[0] == (
        "case_id,name,rolle,fokusgruppe,erfaring_år,source_ids,sources,selection_ids"
    )
    assert cases[2].endswith(",leder,2,,00000016-abcd-4def-8abc-000000000016,P05 intervju,")


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analysis.qdpx", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_writes_tables(tmp_path: Path) -> None:
    fixture = fx.qualcoder(tmp_path)
    result = _cli(fixture.path, tmp_path / "out", "--validate")
    assert result.returncode == 0, result.stderr
    assert "7 codings" in result.stdout
    table = pd.read_csv(tmp_path / "out" / "codings.csv", keep_default_na=False)
    assert list(table.columns) == list(CODINGS_COLUMNS)
    assert len(table) == 7


def test_cli_validate_schema_invalid_exits_2(tmp_path: Path) -> None:
    path = fx.minimal(tmp_path)
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["project.qde"] = members["project.qde"].replace(b' isCodable="true"', b"")
    broken = fx.write_archive(tmp_path / "no_iscodable.qdpx", members)
    assert _cli(broken, tmp_path / "lenient").returncode == 0  # lenient without --validate
    result = _cli(broken, tmp_path / "strict", "--validate")
    assert result.returncode == 2
    assert "no_iscodable.qdpx" in result.stderr
    assert "project.qde line 8" in result.stderr and "isCodable" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "strict" / "codings.csv").exists()


def test_cli_reports_content_errors(tmp_path: Path) -> None:
    result = _cli(fx.minimal(tmp_path, code_ref=fx.guid(999)), tmp_path / "out")
    assert result.returncode == 2
    assert fx.guid(999) in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------
# errors: one test per problem, each message names the file and the guid
# --------------------------------------------------------------------------------------


def test_valid_minimal_fixture_passes_schema(tmp_path: Path) -> None:
    project = read_qdpx(fx.minimal(tmp_path), validate=True)
    assert _texts(project) == ["Likepersonen"]


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "plain.qdpx"
    path.write_text("<Project/>", encoding="utf-8")
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    assert "plain.qdpx" in str(excinfo.value) and "zip" in str(excinfo.value)


def test_truncated_zip(tmp_path: Path) -> None:
    path = fx.minimal(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    assert "minimal.qdpx" in str(excinfo.value) and "zip" in str(excinfo.value)


def test_corrupt_member_crc(tmp_path: Path) -> None:
    xml = fx.project_xml(origin="x", codes=[fx.Code(fx.CODE, "C")])
    path = fx.write_archive(tmp_path / "crc.qdpx", {"project.qde": xml}, compression=0)
    data = bytearray(path.read_bytes())
    offset = data.index(b"<CodeBook>")
    data[offset + 1] = ord("X")  # same length, wrong CRC
    path.write_bytes(bytes(data))
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    assert "crc.qdpx" in str(excinfo.value) and "corrupt" in str(excinfo.value)


def test_missing_project_qde(tmp_path: Path) -> None:
    path = fx.write_archive(tmp_path / "empty.qdpx", {"sources/a.txt": "x"})
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    assert "empty.qdpx" in str(excinfo.value) and "project.qde" in str(excinfo.value)


def test_malformed_xml_with_line_and_column(tmp_path: Path) -> None:
    xml = '<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Users>\n'
    path = fx.write_archive(tmp_path / "bad.qdpx", {"project.qde": xml + "<User guid='a'\n"})
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    message = str(excinfo.value)
    assert "bad.qdpx" in message and "not well-formed" in message
    assert "line 5" in message and "column" in message


def test_unknown_code_ref(tmp_path: Path) -> None:
    ghost = fx.guid(999)
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, code_ref=ghost))
    (problem,) = excinfo.value.problems
    assert problem.startswith(str(tmp_path / "minimal.qdpx"))
    assert fx.CODING in problem and fx.SELECTION in problem and ghost in problem


def test_case_selection_refs(tmp_path: Path) -> None:
    """A focus-group participant owns passages of a shared transcript via SelectionRef."""
    ghost = fx.guid(998)
    case = fx.guid(40)
    xml = (
        f'<Cases><Case guid="{case}" name="P01"><SelectionRef targetGUID="{fx.SELECTION}"/>'
        "</Case></Cases>\n"
    )
    project = read_qdpx(fx.minimal(tmp_path, cases=xml), validate=True)
    assert project.cases["selection_ids"].tolist() == [fx.SELECTION]
    bad = xml.replace(fx.SELECTION, ghost)
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, "bad.qdpx", cases=bad))
    (problem,) = excinfo.value.problems
    assert f"Case {case}" in problem and "SelectionRef" in problem and ghost in problem


def test_selection_outside_source(tmp_path: Path) -> None:
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, start=20, end=400))
    (problem,) = excinfo.value.problems
    assert fx.SELECTION in problem and "20" in problem and "400" in problem
    assert f"{len(fx.TEXT)} code points" in problem and "minimal.qdpx" in problem


def test_selection_end_before_start(tmp_path: Path) -> None:
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, start=10, end=4))
    (problem,) = excinfo.value.problems
    assert fx.SELECTION in problem and "endPosition=4" in problem and "startPosition=10" in problem
    assert f"source length {len(fx.TEXT)}" in problem


def test_missing_source_file(tmp_path: Path) -> None:
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, include_source_file=False))
    (problem,) = excinfo.value.problems
    # the guid stays readable; the rest of the quoted path is masked (it may hold a name)
    assert fx.SOURCE in problem and f"internal://{fx.SOURCE}.txt" not in problem
    assert f"{mask('internal://')}{fx.SOURCE}" in problem
    assert "missing" in problem and "minimal.qdpx" in problem


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("/home/forsker/intervju.txt", "absolute path"),
        ("C:\\Data\\intervju.txt", "absolute path"),
        ("file:///C:/Data/intervju.txt", "absolute path"),
        ("../../etc/passwd", "climbs out"),
        ("internal://../project.qde", "climbs out"),
    ],
)
def test_paths_outside_the_archive_are_refused(tmp_path: Path, ref: str, why: str) -> None:
    path = fx.minimal(tmp_path, plain_text_path=ref)
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    (problem,) = excinfo.value.problems
    # the path is quoted masked (a home folder often carries a name), never as written
    assert why in problem and fx.SOURCE in problem and ref not in problem
    assert mask(ref, limit=80) in problem


def test_duplicate_guids(tmp_path: Path) -> None:
    twin = fx.Code(fx.CODE.upper(), "Tvilling")  # same GUID, other case
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(fx.minimal(tmp_path, extra_codes=[twin]))
    (problem,) = excinfo.value.problems
    assert "duplicate guid" in problem and fx.CODE in problem and "minimal.qdpx" in problem


def test_all_problems_are_collected(tmp_path: Path) -> None:
    orphan = fx.Source(
        fx.guid(22),
        "Uten fil",
        "tekst",
        [fx.Selection(fx.guid(102), 0, 3, [fx.Coding(fx.guid(202), fx.CODE, fx.USER)])],
        member="elsewhere/none.txt",
    )
    path = fx.minimal(
        tmp_path,
        code_ref=fx.guid(999),
        start=5,
        end=1,
        extra_sources=[orphan],
        extra_codes=[fx.Code(fx.guid(22), "Samme guid som kilden")],
    )
    with pytest.raises(QdpxError) as excinfo:
        read_qdpx(path)
    problems = _problems(excinfo)
    assert len(excinfo.value.problems) == 4
    assert "duplicate guid" in problems  # code 22 vs source 22
    assert fx.guid(999) in problems  # unknown code
    assert "endPosition=1" in problems  # backwards selection
    assert f"TextSource {fx.guid(22)}" in problems and "missing" in problems
    assert str(excinfo.value).startswith(f"4 problem(s) in {path}")


# --------------------------------------------------------------------------------------
# export and round trip
# --------------------------------------------------------------------------------------


def _tables() -> dict[str, pd.DataFrame]:
    """Tables with Norwegian letters, emoji and CRLF, in the canonical (read) order."""
    s1, s2 = stable_guid("t", "src", 1), stable_guid("t", "src", 2)
    text1 = "Intervjuer: Hvordan var det?\r\nDeltaker: Blåbærsyltetøy 🫐 og håp 😊.\r\nSlutt."
    text2 = "Fokusgruppe: Vi ble sett. Æ Ø Å!\n"
    theme, c1, c2, c3 = (stable_guid("t", "code", i) for i in range(4))
    codebook = pd.DataFrame(
        {
            "code_id": [theme, c1, c2, c3],
            "name": ["Tema: mestring", "Håp", "Syltetøy 🫐", "Å bli sett"],
            "parent_id": ["", theme, theme, ""],
            "codable": [False, True, True, True],
            "description": ["Gruppe", "Uttrykk for håp\r\nlinje 2", "", ""],
            "color": ["", "#00AAff", "", ""],
        }
    )
    sources = pd.DataFrame(
        {"source_id": [s1, s2], "name": ["Intervju æ", "Fokus ø"], "text": [text1, text2]}
    )

    def cut(text: str, fragment: str) -> tuple[int, int]:
        start = text.index(fragment)
        return start, start + len(fragment)

    spans = [
        (s1, "Intervju æ", cut(text1, "Blåbærsyltetøy 🫐"), c2, "AF"),
        (s1, "Intervju æ", cut(text1, "Blåbærsyltetøy 🫐"), c2, "BK"),
        (s1, "Intervju æ", cut(text1, "håp 😊.\r\nSlutt"), c1, "AF"),
        (s1, "Intervju æ", cut(text1, "håp 😊.\r\nSlutt"), c3, "AF"),
        (s2, "Fokus ø", cut(text2, "Vi ble sett. Æ Ø Å!"), c3, "BK"),
    ]
    codings = pd.DataFrame(
        {
            "selection_id": [stable_guid("t", "sel", s, a, b) for s, _, (a, b), _, _ in spans],
            "source": [n for _, n, _, _, _ in spans],
            "start": [a for _, _, (a, _), _, _ in spans],
            "end": [b for _, _, (_, b), _, _ in spans],
            "text": [{s1: text1, s2: text2}[s][a:b] for s, _, (a, b), _, _ in spans],
            "code_id": [c for _, _, _, c, _ in spans],
            "coder": [u for _, _, _, _, u in spans],
        }
    )
    users = pd.DataFrame(
        {"user_id": [stable_guid("t", "user", u) for u in ("AF", "BK")], "name": ["AF", "BK"]}
    )
    cases = pd.DataFrame(
        {
            "case_id": [stable_guid("t", "case", 1), stable_guid("t", "case", 2)],
            "name": ["Deltaker Ø", "Deltaker Å"],
            "rolle": ["likeperson", pd.NA],
            "alder": ["34", "51"],
            "source_ids": [s1, f"{s1};{s2}"],
            "sources": ["Intervju æ", "Intervju æ;Fokus ø"],
            "selection_ids": [codings["selection_id"].iloc[0], ""],
        }
    ).sort_values(["name", "case_id"], ignore_index=True)
    variables = pd.DataFrame({"name": ["rolle", "alder"], "type": ["Text", "Integer"]})
    return {
        "codebook": codebook,
        "sources": sources,
        "codings": codings,
        "users": users,
        "cases": cases,
        "variables": variables,
    }


def test_round_trip_identical_tables(tmp_path: Path) -> None:
    tables = _tables()
    path = write_qdpx(tmp_path / "rt.qdpx", **tables)
    project = read_qdpx(path, validate=True)
    pd.testing.assert_frame_equal(
        project.codebook.loc[
            :, ["code_id", "name", "parent_id", "codable", "description", "color"]
        ],
        tables["codebook"],
        check_dtype=False,
    )
    pd.testing.assert_frame_equal(
        project.codings.loc[:, list(CODINGS_COLUMNS)], tables["codings"], check_dtype=False
    )
    pd.testing.assert_frame_equal(project.users, tables["users"], check_dtype=False)
    pd.testing.assert_frame_equal(
        project.cases, tables["cases"].astype({"rolle": "str"}), check_dtype=False
    )
    pd.testing.assert_frame_equal(
        project.sources.loc[:, ["source_id", "name", "text"]], tables["sources"], check_dtype=False
    )
    assert set(project.offset_convention.values()) == {"codepoint/crlf"}
    # the double-coded span became one selection with two Coding children
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("project.qde"))
    ns = {"q": qdpx.PROJECT_NS}
    selections = root.findall(".//q:PlainTextSelection", ns)
    assert [len(s.findall("q:Coding", ns)) for s in selections] == [2, 2, 1]


def test_export_is_byte_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = write_qdpx(tmp_path / "a.qdpx", **_tables(), name="prosjekt")
    second = write_qdpx(tmp_path / "b.qdpx", **_tables(), name="prosjekt")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        infos = zf.infolist()
    assert infos[0].filename == "project.qde"
    assert all(i.filename.startswith("sources/") for i in infos[1:])
    assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1718000000")  # 2024-06-10T06:13:20Z
    third = write_qdpx(tmp_path / "c.qdpx", **_tables(), name="prosjekt")
    with zipfile.ZipFile(third) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 6, 10, 6, 13, 20)}


def test_export_fills_stable_guids_and_reexports_nvivo(tmp_path: Path) -> None:
    project = read_qdpx(fx.nvivo(tmp_path).path)
    codings = project.codings.assign(
        start=project.codings["cp_start"], end=project.codings["cp_end"]
    )
    codings = codings.drop(columns=["selection_id", "coding_id"])
    out = write_qdpx(
        tmp_path / "from_nvivo.qdpx",
        codebook=project.codebook,
        sources=project.sources,
        codings=codings,
        users=project.users,
    )
    again = read_qdpx(out, validate=True)
    assert _texts(again) == _texts(project)
    assert again.codings["coder"].tolist() == project.codings["coder"].tolist()
    assert set(again.offset_convention.values()) == {"codepoint/crlf"}
    assert again.codings["selection_id"].iloc[0] == stable_guid(
        "selection", project.sources["source_id"].iloc[0], 70, 85
    )
    assert stable_guid("a", 1) == stable_guid("a", "1") != stable_guid("a", 2)


def test_export_collects_problems(tmp_path: Path) -> None:
    tables = _tables()
    codings = tables["codings"].copy()
    codings.loc[0, "code_id"] = "no-such-code"
    codings.loc[1, "text"] = "feil tekst"
    codings.loc[2, "end"] = 10_000
    tables["codings"] = codings
    with pytest.raises(QdpxError) as excinfo:
        write_qdpx(tmp_path / "bad.qdpx", **tables)
    problems = _problems(excinfo)
    assert len(excinfo.value.problems) == 3
    assert mask("no-such-code") in problems and "does not match" in problems and "10000" in problems
    assert not (tmp_path / "bad.qdpx").exists()
    with pytest.raises(QdpxError, match="lacks column"):
        write_qdpx(tmp_path / "bad.qdpx", **{**_tables(), "codings": codings.drop(columns="end")})


# --------------------------------------------------------------------------------------
# the benchmark script (the 500k run is not a test; this only proves the script works)
# --------------------------------------------------------------------------------------


def test_benchmark_script_small(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_qdpx.py"),
            "--codings",
            "3000",
            "--no-peer",
            out,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["codings"] == report["imported_codings"] == 3000
    assert report["import_peak_rss_mib"] > 0 and report["read_qdpx_seconds"] >= 0
    assert report["qdpx_s"] >= 0 and report["qdpx_rss_mb"] > 0
    assert json.loads(result.stdout.strip().splitlines()[-1]) == report  # one JSON line
