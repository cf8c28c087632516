"""What the privacy gate scans: every field of every input, by construction (issue 11).

Each row schema in workflow/schemas/ and the REFI-QDA model (analysis.qdpx.QdpxProject) are
enumerated here, so a new free-text field that the gate would not scan fails a test. Every
free-text field is planted with each identifier variant; closed fields (an enum, a bounded
number) are skipped only while their value is one of the allowed ones.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from analysis import privacy, privacy_qdpx
from analysis.masking import mask
from analysis.qdpx import QdpxError, read_qdpx
from tests.test_identifiers import FNR, identity_number

REPO = Path(__file__).resolve().parents[1]
SCHEMAS = REPO / "workflow" / "schemas"
ROW_SCHEMAS = sorted(
    p.name.removesuffix(".schema.json")
    for p in SCHEMAS.glob("*.schema.json")
    if p.name not in ("config.schema.json", "claims.schema.json")
)
SYNTHETIC = REPO / "data" / "synthetic"
NAMES = ["Åse Kjærstad", "Ørjan Brekke"]
DNR = identity_number(55, 5, 86, 200)

# Identifier variants planted into every scanned field: (text, kind).
VARIANTS = [
    (f"{FNR[:2]}.{FNR[2:4]}.{FNR[4:6]}\r\n{FNR[6:]}", "fodselsnummer"),
    (f"{DNR[:6]}\u2013{DNR[6:]}", "d-number"),
    ("ring 4123\n4567", "phone"),
    ('"kari n"@helse-bergen.no', "email"),
    ("Ase Kjaer\u200bstad", "name"),
]


def _schema(kind: str) -> dict:
    return json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))


def _valid_value(prop: dict) -> str:
    closed = privacy.closed_values(prop)
    if isinstance(closed, tuple):
        return str(int(closed[0]))
    enum = prop.get("enum") or prop.get("items", {}).get("enum")
    return str(enum[0]) if enum else "x"


def _write_sheet(path: Path, kind: str, field: str, value: str) -> Path:
    props = _schema(kind)["properties"]
    row = {name: _valid_value(prop) for name, prop in props.items()}
    row[field] = value
    cells = ['"' + str(v).replace('"', '""') + '"' for v in row.values()]
    path.write_text(",".join(props) + "\n" + ",".join(cells) + "\n", encoding="utf-8")
    return path


def _free_text_fields() -> list[tuple[str, str]]:
    return [
        (kind, name)
        for kind in ROW_SCHEMAS
        for name, prop in _schema(kind)["properties"].items()
        if privacy.closed_values(prop) is None
    ]


def test_every_input_kind_of_the_config_has_a_row_schema() -> None:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text(encoding="utf-8"))
    kinds = {k for spec in config["inputs"].values() if isinstance(spec, dict) for k in spec}
    kinds |= {"participants", "codebook", "segments", "stage_map"}
    assert kinds - {"qdpx"} <= set(ROW_SCHEMAS)


def test_free_text_fields_include_those_issue_11_found_unscanned() -> None:
    fields = set(_free_text_fields())
    assert {("extraction", "article_id"), ("prisma", "item"), ("segments", "coder"),
            ("segments", "segment_id"), ("stage_map", "theme")} <= fields  # fmt: skip


@pytest.mark.parametrize(("kind", "field"), _free_text_fields())
@pytest.mark.parametrize(("value", "expected"), VARIANTS)
def test_every_free_text_field_is_scanned(
    tmp_path: Path, kind: str, field: str, value: str, expected: str
) -> None:
    path = _write_sheet(tmp_path / f"{kind}.csv", kind, field, value)
    findings, scanned = privacy.scan_sheet(
        path, _schema(kind), "data/x.csv", privacy.identifiers.compile_names(NAMES)
    )
    assert [(f.location, f.kind) for f in findings] == [(f"row 2, column {field}", expected)]
    assert scanned >= 1


CLOSED = [
    (kind, name)
    for kind in ROW_SCHEMAS
    for name, prop in _schema(kind)["properties"].items()
    if privacy.closed_values(prop) is not None
]


@pytest.mark.parametrize(("kind", "field"), CLOSED)
def test_closed_fields_are_skipped_only_while_their_value_is_allowed(
    tmp_path: Path, kind: str, field: str
) -> None:
    schema = _schema(kind)
    clean = _write_sheet(
        tmp_path / "ok.csv", kind, field, _valid_value(schema["properties"][field])
    )
    assert privacy.scan_sheet(clean, schema, "x", None)[0] == []
    dirty = _write_sheet(tmp_path / "bad.csv", kind, field, FNR)
    assert [f.location for f in privacy.scan_sheet(dirty, schema, "x", None)[0]] == [
        f"row 2, column {field}"
    ]


def test_unbounded_numbers_are_scanned(tmp_path: Path) -> None:
    """prisma.csv's count has no maximum: an identity number is a valid count."""
    assert privacy.closed_values(_schema("prisma")["properties"]["n"]) is None
    path = tmp_path / "prisma.csv"
    path.write_text(f"stage,item,n\nscreened,,{FNR}\n", encoding="utf-8")
    assert [f.kind for f in privacy.scan_sheet(path, _schema("prisma"), "x", None)[0]] == [
        "fodselsnummer"
    ]


def test_unknown_columns_headers_and_ragged_rows_are_scanned(tmp_path: Path) -> None:
    path = tmp_path / "segments.csv"
    path.write_text(
        f'\ufeffsegment_id,text,Kari 4123 4567\ns1,ok,41234567\ns2,"unclosed,{FNR}\n',
        encoding="utf-8",
    )
    findings, _ = privacy.scan_sheet(path, _schema("segments"), "data/s.csv", None)
    messages = [f.message() for f in findings]
    assert messages[0].startswith("data/s.csv: row 1, header of column 3: phone")
    assert [f.location for f in findings][1:] == [
        f"row 2, column 3 ({mask('Kari 4123 4567')})",
        "row 3, column text",
    ]
    assert all("4123" not in m and FNR not in m for m in messages)


def test_xlsx_sheets_are_scanned(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["participant_id", "label", "role"])
    book.active.append(["P1", "Ørjan Brekke", "manager"])
    book.save(tmp_path / "participants.xlsx")
    findings, _ = privacy.scan_sheet(
        tmp_path / "participants.xlsx",
        _schema("participants"),
        "p.xlsx",
        privacy.identifiers.compile_names(["Orjan Brekke"]),
    )
    assert [(f.location, f.kind) for f in findings] == [("row 2, column label", "name")]


def test_unreadable_sheet_stops_the_gate(tmp_path: Path) -> None:
    path = tmp_path / "extraction.csv"
    path.write_bytes("article_id\nÅse\n".encode("latin-1"))
    with pytest.raises(privacy.GateError, match="x: is not UTF-8"):
        privacy.scan_sheet(path, _schema("extraction"), "x", None)


# --------------------------------------------------------------------------- REFI-QDA


def _project_copy(tmp_path: Path, edit_qde=None, edit_text=None) -> Path:
    path = tmp_path / "study2.qdpx"
    shutil.copy(SYNTHETIC / "study2" / "study2.qdpx", path)
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        first_source = True
        for info, data in members:
            if info.filename == "project.qde" and edit_qde:
                data = edit_qde(data.decode("utf-8")).encode("utf-8")
            elif info.filename.startswith("sources/") and edit_text and first_source:
                data = edit_text(data.decode("utf-8")).encode("utf-8")
                first_source = False
            z.writestr(info, data)
    return path


def _first(pattern: str) -> callable:
    """An edit that rewrites the first match of ``pattern`` (group 1 = the value)."""

    def edit(qde: str, value: str) -> str:
        m = re.search(pattern, qde)
        assert m, pattern
        return qde[: m.start(1)] + value + qde[m.end(1) :]

    return edit


NOTES = (
    '<Notes><Note guid="0e0e0e0e-0000-4000-8000-000000000001" name="memo">'
    "<PlainTextContent>{}</PlainTextContent></Note></Notes>"
)
SETS = (
    '<Sets><Set guid="0e0e0e0e-0000-4000-8000-000000000002" name="{}">'
    '<MemberSource targetGUID="fa39e3d9-7034-5843-bf99-cfc76c28ae48"/></Set></Sets>'
)


def _first_guid(element: str) -> str:
    """``"<element> <first 8 hex of its guid>"`` for the first such element of the committed
    Study 2 project, as the gate's message names it (regenerated data change the guids)."""
    with zipfile.ZipFile(SYNTHETIC / "study2" / "study2.qdpx") as z:
        qde = z.read("project.qde").decode("utf-8")
    m = re.search(rf'<{element} [^>]*guid="([0-9a-fA-F]{{8}})', qde)
    assert m, element
    return f"{element} {m.group(1).lower()}"


# Where an identifier can hide in a project, and the element the message must name.
QDPX_PLACES = {
    "project name": (_first(r'<Project [^>]*name="([^"]*)"'), "Project, attribute name"),
    "user name": (_first(r'<User [^>]*name="([^"]*)"'), _first_guid("User")),
    "code name": (_first(r'<Code [^>]*name="([^"]*)"'), _first_guid("Code")),
    "description": (_first(r"<Description>([^<]*)</Description>"), "Description"),
    "variable name": (_first(r'<Variable [^>]*name="([^"]*)"'), _first_guid("Variable")),
    "variable value": (_first(r"<TextValue>([^<]*)</TextValue>"), "TextValue"),
    "case name": (_first(r'<Case [^>]*name="([^"]*)"'), _first_guid("Case")),
    "source name": (_first(r'<TextSource [^>]*name="([^"]*)"'), _first_guid("TextSource")),
    "note": (lambda q, v: q.replace("</Project>", NOTES.format(v) + "</Project>"), "Note"),
    "set name": (lambda q, v: q.replace("</Project>", SETS.format(v) + "</Project>"), "Set"),
    "guid that is not one": (_first(r'<Code [^>]*guid="([^"]*)"'), "attribute guid"),
}


@pytest.mark.parametrize("place", sorted(QDPX_PLACES))
@pytest.mark.parametrize(("value", "expected"), VARIANTS[::2] + VARIANTS[-1:])
def test_every_part_of_a_project_is_scanned(
    tmp_path: Path, place: str, value: str, expected: str
) -> None:
    edit, where = QDPX_PLACES[place]
    escaped = value.replace("&", "&amp;").replace('"', "&quot;").replace("\r", "&#13;")
    escaped = escaped.replace("\n", "&#10;")
    path = _project_copy(tmp_path, edit_qde=lambda q: edit(q, escaped))
    try:
        findings, _ = privacy.scan_inputs({"study2_qdpx": str(path)}, names=NAMES)
    except QdpxError as exc:  # the reader may refuse a broken guid: masked, named
        assert place == "guid that is not one", exc
        assert FNR not in str(exc)
        return
    assert expected in {f.kind for f in findings}, place
    hit = next(f for f in findings if f.kind == expected)
    assert where in hit.location
    text = str(privacy.PrivacyError(findings))
    assert value not in text and "Kjaer" not in text and "4567" not in text


def test_source_text_is_scanned_and_the_source_name_is_not_printed(tmp_path: Path) -> None:
    path = _project_copy(
        tmp_path,
        edit_qde=lambda q: _first(r'<TextSource [^>]*name="([^"]*)"')(q, "Ørjan Brekke 41234567"),
        edit_text=lambda t: t + f"\nHun het Åse Kjærstad, fnr {FNR}.\n",
    )
    findings, scanned = privacy.scan_inputs({"study2_qdpx": str(path)}, names=NAMES)
    kinds = {(f.kind, "model sources" in f.location) for f in findings}
    assert {("name", True), ("fodselsnummer", True), ("phone", False)} <= kinds
    text = str(privacy.PrivacyError(findings))
    for secret in ("Ørjan", "Brekke", "41234567", FNR, "Kjærstad"):
        assert secret not in text
    assert scanned[str(path)] > 100


def test_model_fields_are_all_scanned_or_closed() -> None:
    """Enumerates the REFI-QDA model: a new field or column is scanned unless declared
    closed, and a closed one must hold guids, numbers, flags or offset conventions only."""
    project = read_qdpx(SYNTHETIC / "study2" / "study2.qdpx")
    fields = privacy_qdpx.model_fields(project)
    assert set(fields) >= privacy_qdpx.MODEL_CLOSED, "stale entries in MODEL_CLOSED"
    form = re.compile(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(;[0-9a-f-]{36})*"
        r"|-?[0-9]+|True|False|true|false|#[0-9A-Fa-f]{3,6}|codepoint/crlf|codepoint/lf"
        r"|utf16/crlf|utf16/lf|code|source|note|Code|Case|Variable|Set|TextSource|Project|"
        r"|Text|Boolean|Integer|Float|Date|DateTime"
    )
    for field, column in sorted(privacy_qdpx.MODEL_CLOSED):
        value = getattr(project, field)
        values = value[column].tolist() if column else [value]
        if field == "path":
            continue  # the file's own path, given by the caller
        if field == "offset_convention":
            values = [*value.keys(), *value.values()]
        bad = [v for v in values if not form.fullmatch(str(v))]
        assert not bad, f"{field}.{column} holds free text: {bad[:3]}"
    texts = {text for _, _, text in privacy_qdpx.model_items(project, "x")}
    for field, column in fields:
        if (field, column) in privacy_qdpx.MODEL_CLOSED:
            continue
        value = getattr(project, field)
        values = value[column].tolist() if column else privacy_qdpx._values(value)
        missing = [v for v in values if isinstance(v, str) and v and v not in texts]
        assert not missing, f"{field}.{column} not scanned: {missing[:2]}"
        if column and column not in {"name", "text", "description", "coder", "source"}:
            assert column in texts, f"column name {column} not scanned"


def test_xml_scan_skips_only_well_formed_closed_attributes() -> None:
    closed = privacy_qdpx.closed_attributes()
    assert {"guid", "targetGUID", "creatingUser", "startPosition", "isCodable"} <= set(closed)
    assert not {"name", "origin", "plainTextPath", "basePath", "path"} & set(closed)
    assert closed["guid"].fullmatch("58c9d7d4-c092-5a81-a61a-688b7043c8b8")
    assert not closed["guid"].fullmatch(f"Kari {FNR}")


def test_csv_mode_study_scans_coder_and_segment_id(tmp_path: Path) -> None:
    seg = tmp_path / "segments.csv"
    seg.write_text(
        "segment_id,participant_id,session,theme,subtheme,code,text,coder\n"
        f"{FNR},P1,FG1,t,s,c,ok,kari@uib.no\n",
        encoding="utf-8",
    )
    findings, scanned = privacy.scan_inputs({"study2_segments": str(seg)})
    assert [(f.location, f.kind) for f in findings] == [
        ("row 2, column coder", "email"),
        ("row 2, column segment_id", "fodselsnummer"),
    ]
    assert scanned == {str(seg): 8}


def test_private_data_dir_is_not_named(tmp_path: Path) -> None:
    folder = tmp_path / "Kari Nordmann secure"
    folder.mkdir()
    seg = folder / "stage-map.csv"
    seg.write_text(f"study,theme,subtheme,stage\nstudy2,{FNR},x,co-design\n", encoding="utf-8")
    findings, scanned = privacy.scan_inputs({"stage_map": str(seg)}, data_dir=str(folder))
    assert list(scanned) == ["<data_dir>/stage-map.csv"]
    assert "Kari" not in str(privacy.PrivacyError(findings))


def test_synthetic_inputs_pass_the_gate() -> None:
    inputs = {
        "study1_extraction": SYNTHETIC / "study1" / "extraction.csv",
        "study1_prisma": SYNTHETIC / "study1" / "prisma.csv",
        "study2_qdpx": SYNTHETIC / "study2" / "study2.qdpx",
        "study3_qdpx": SYNTHETIC / "study3" / "study3.qdpx",
        "stage_map": SYNTHETIC / "stage-map.csv",
    }
    findings, scanned = privacy.scan_inputs({k: str(v) for k, v in inputs.items()})
    assert findings == []
    assert all(n > 0 for n in scanned.values())
