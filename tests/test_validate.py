"""Tests for analysis.validate: every bad input gets one clear, located message.

The main suite is table-driven: ``tests/fixtures/bad/cases.yaml`` lists each
input case with the problems (row, column, key words) it must produce, or the
normalised cells an accepted file must yield.  Byte-sensitive inputs (Latin-1,
invalid UTF-8, BOM + CRLF, decomposed Unicode, XLSX) are written by the
generators below instead of being committed, so no editor or git setting can
quietly repair them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import yaml

from analysis.prisma import flow_from_counts
from analysis.stc import coded_study_from_qdpx
from analysis.validate import (
    MAX_LISTED,
    ConfigError,
    InputError,
    Problem,
    check_code_paths,
    check_references,
    read_table,
    schema_path,
    validate_config,
    validate_study_tables,
)

sys.path.insert(0, str(Path(__file__).parent))
import qdpx_fixtures as fx  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
BAD = FIXTURES / "bad"
GOOD = FIXTURES / "good"
CASES = yaml.safe_load((BAD / "cases.yaml").read_text(encoding="utf-8"))

PARTICIPANTS_HEADER = "participant_id,label,role,group,session,service_level"
EXTRACTION_HEADER = [
    "article_id", "first_author", "year", "country", "design", "sector", "setting",
    "peer_title", "role_category", "stages", "outcomes",
]  # fmt: skip
EXTRACTION_ROWS = [
    ["A01", "Åkerblom", 2019, "Norway", "qualitative", "mental health", "community",
     "erfaringskonsulent", "peer support", "co-delivery; co-design", None],
    ["A02", "Smith", 2015.0, "United Kingdom", "mixed", "both", "inpatient",
     "peer support worker", "Co-creation partner", "co-assessment",
     "peer workers;service users"],
]  # fmt: skip


# --------------------------------------------------------------------------- generators


def _write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def _invalid_utf8(path: Path) -> None:
    """A UTF-8 file with one stray 0xFF byte and no Norwegian letters around it."""
    lines = [PARTICIPANTS_HEADER, "P01,Manager 1,manager,FG1,FG1,municipal",
             "P02,Peer \xff 1,peer worker,FG1,FG1,specialist"]  # fmt: skip
    data = "\n".join(lines).encode("utf-8").replace("\xff".encode(), b"\xff") + b"\n"
    path.write_bytes(data)


def _latin1(path: Path) -> None:
    """The sheet as Excel saves it on a Norwegian Windows machine: cp1252, æ/ø/å single bytes."""
    lines = [PARTICIPANTS_HEADER, "P01,Åse,manager,FG1,FG1,municipal",
             "P02,Peer worker 1,peer worker,Førde,FG1,specialist"]  # fmt: skip
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def _bom_crlf(path: Path) -> None:
    """Excel's "CSV UTF-8": byte order mark and CRLF line endings."""
    lines = [PARTICIPANTS_HEADER, "P01,Manager 1,manager,FG1,FG1,municipal",
             "P02,Peer worker 1,peer worker,FG1,FG1,specialist"]  # fmt: skip
    path.write_bytes(b"\xef\xbb\xbf" + ("\r\n".join(lines) + "\r\n").encode("utf-8"))


def _decomposed(path: Path) -> None:
    """Å typed as A + combining ring (as macOS may store it), plus stray spaces."""
    lines = [PARTICIPANTS_HEADER,
             "P01,  A\u030ase Bjørn ,Health   professional,FG1,FG1,municipal"]  # fmt: skip
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _corrupt_xlsx(path: Path) -> None:
    path.write_bytes(b"article_id,first_author\nA01,Smith\n")


def _xlsx_good(path: Path) -> None:
    _write_xlsx(path, [EXTRACTION_HEADER, *EXTRACTION_ROWS])


def _xlsx_bad_year(path: Path) -> None:
    bad = list(EXTRACTION_ROWS[0])
    bad[0], bad[2] = "A03", 1850
    _write_xlsx(path, [EXTRACTION_HEADER, *EXTRACTION_ROWS, bad])


GENERATORS: dict[str, Callable[[Path], None]] = {
    "invalid_utf8": _invalid_utf8,
    "latin1": _latin1,
    "bom_crlf": _bom_crlf,
    "decomposed": _decomposed,
    "corrupt_xlsx": _corrupt_xlsx,
    "xlsx_good": _xlsx_good,
    "xlsx_bad_year": _xlsx_bad_year,
}


def _input_path(case: dict[str, Any], tmp_path: Path) -> Path:
    if "generate" in case:
        path = tmp_path / case["file"]
        GENERATORS[case["generate"]](path)
        return path
    return BAD / case["file"]


def _load(case: dict[str, Any], path: Path) -> Any:
    if case["table"] == "study":
        files = {"participants": GOOD / "participants.csv", "codebook": GOOD / "codebook.csv"}
        files.update({k: BAD / v for k, v in case.get("files", {}).items()})
        return validate_study_tables(files["participants"], files["codebook"], files["segments"])
    return read_table(path, schema_path(case["table"]))


# --------------------------------------------------------------------------- table-driven suite


@pytest.mark.parametrize("case", CASES["rejected"], ids=lambda c: c["id"])
def test_rejected_input_reports_every_problem(case: dict[str, Any], tmp_path: Path) -> None:
    path = _input_path(case, tmp_path)
    with pytest.raises(InputError) as caught:
        _load(case, path)
    problems = caught.value.problems
    located = [(p.row, p.column) for p in problems]
    expected = [(e["row"], e["column"]) for e in case["problems"]]
    assert located == expected, str(caught.value)
    for problem, want in zip(problems, case["problems"], strict=True):
        message = problem.message()
        assert message.startswith(str(path)), message
        assert Path(problem.file).name == Path(case["file"]).name
        for word in want["words"]:
            assert word.lower() in message.lower(), f"{word!r} not in {message!r}"
        assert message in str(caught.value)


@pytest.mark.parametrize("case", CASES["accepted"], ids=lambda c: c["id"])
def test_accepted_input_is_normalised(case: dict[str, Any], tmp_path: Path) -> None:
    frame = _load(case, _input_path(case, tmp_path))
    assert list(frame.columns) == list(
        json.loads(schema_path(case["table"]).read_text(encoding="utf-8"))["properties"]
    )
    for cell in case["cells"]:
        assert frame.loc[cell["row"], cell["column"]] == cell["value"], cell


# --------------------------------------------------------------------------- whole files


def _qdpx(members: dict[str, str | bytes]) -> Callable[[Path], None]:
    return lambda path: fx.write_archive(path, members) and None


def _minimal(**knobs: Any) -> Callable[[Path], None]:
    return lambda path: fx.minimal(path.parent, path.name, **knobs) and None


FILE_GENERATORS: dict[str, Callable[[Path], None]] = {
    "corrupt_zip": lambda path: path.write_bytes(b"PK\x03\x04 this is not a zip") and None,
    "no_project_qde": _qdpx({"sources/a.txt": "hei"}),
    "malformed_xml": _qdpx(
        {
            "project.qde": '<?xml version="1.0"?>\n<Project xmlns='
            '"urn:QDA-XML:project:1.0"><Sources>\n</Project>'
        }
    ),
    "dangling_code_ref": _minimal(code_ref=fx.guid(999)),
    "selection_outside_source": _minimal(start=20, end=400),
    "selection_reversed": _minimal(start=10, end=4),
    "missing_source_file": _minimal(include_source_file=False),
    "flat_codebook": _minimal(),
}


def _load_file(case: dict[str, Any], path: Path) -> None:
    if case["loader"] == "qdpx":
        coded_study_from_qdpx(path)
    elif case["loader"] == "prisma_flow":
        flow_from_counts(read_table(path, schema_path("prisma")), label=str(path))
    else:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
        schema = json.loads(
            (FIXTURES.parents[1] / "workflow/schemas/config.schema.json").read_text(
                encoding="utf-8"
            )
        )
        validate_config(config, schema, label=str(path))


@pytest.mark.parametrize("case", CASES["rejected_files"], ids=lambda c: c["id"])
def test_rejected_file_reports_every_problem(case: dict[str, Any], tmp_path: Path) -> None:
    if "generate" in case:
        path = tmp_path / case["file"]
        FILE_GENERATORS[case["generate"]](path)
    else:
        path = BAD / case["file"]
    with pytest.raises(ValueError) as caught:  # InputError, QdpxError, PrismaError, ConfigError
        _load_file(case, path)
    lines = [line.strip().removeprefix("- ") for line in str(caught.value).splitlines()]
    lines = [line for line in lines if line.startswith(f"{path}:")]  # one line per problem
    assert len(lines) == len(case["problems"]), str(caught.value)
    for line, words in zip(lines, case["problems"], strict=True):
        for word in words:
            assert word.lower() in line.lower(), f"{word!r} not in {line!r}"


# --------------------------------------------------------------------------- good tables


@pytest.mark.parametrize("table", ["extraction", "prisma", "participants", "codebook", "segments"])
def test_good_fixture_reads(table: str) -> None:
    frame = read_table(GOOD / f"{table}.csv", schema_path(table))
    assert len(frame) >= 3
    assert frame.index.name == "row" and frame.index[0] == 2
    assert frame.attrs["source"].endswith(f"{table}.csv")


def test_extraction_values_are_canonical() -> None:
    frame = read_table(GOOD / "extraction.csv", schema_path("extraction"))
    assert frame["year"].dtype == "int64"
    assert frame.loc[2, "first_author"] == "Åkerblom"
    # multi-valued cells come back sorted in the order of the schema's enum
    assert frame.loc[2, "stages"] == "co-design;co-delivery"
    assert frame.loc[3, "stages"] == "co-commissioning;co-assessment"
    assert frame.loc[3, "outcomes"] == "service users;peer workers"
    assert frame.loc[4, "outcomes"] == ""
    assert frame.loc[4, "peer_title"] == "peer worker, recovery"


def test_optional_column_may_be_absent(tmp_path: Path) -> None:
    path = tmp_path / "codebook.csv"
    path.write_text("Theme, SUBTHEME ,code\nA,B,c\n", encoding="utf-8")
    frame = read_table(path, schema_path("codebook"))
    assert list(frame.columns) == ["theme", "subtheme", "code", "description"]
    assert frame.loc[2, "description"] == ""


def test_study_tables_read_together() -> None:
    tables = validate_study_tables(
        GOOD / "participants.csv", GOOD / "codebook.csv", GOOD / "segments.csv"
    )
    assert set(tables.segments["participant_id"]) <= set(tables.participants["participant_id"])


def test_study_tables_collect_problems_of_all_files(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        validate_study_tables(
            BAD / "duplicate_id.csv", BAD / "empty.csv", BAD / "segments_unknown_participant.csv"
        )
    files = {Path(p.file).name for p in caught.value.problems}
    assert files == {"duplicate_id.csv", "empty.csv"}


# --------------------------------------------------------------------------- helpers and API


def test_check_references_on_plain_frames() -> None:
    child = pd.DataFrame({"participant_id": ["P01", "P9", ""]})
    parent = pd.DataFrame({"participant_id": ["P01", "P09"]})
    problems = check_references(child, "seg.csv", "participant_id", parent, "participant_id",
                                "people.csv")  # fmt: skip
    assert [(p.row, p.column, p.found) for p in problems] == [(3, "participant_id", '"••"')]
    assert 'did you mean "P09"?' in problems[0].message()


def test_check_code_paths_names_the_failing_level() -> None:
    codebook = pd.DataFrame({"theme": ["T"], "subtheme": ["S"], "code": ["c"]})
    segments = pd.DataFrame({"theme": ["T", "T"], "subtheme": ["S", "X"], "code": ["c", "c"]})
    problems = check_code_paths(segments, codebook, "seg.csv")
    assert [(p.row, p.column) for p in problems] == [(3, "subtheme")]


def test_schema_as_dict_with_pattern_and_nullable_integer(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "group": {"type": "string", "pattern": "^FG[0-9]+$", "description": "focus group"},
            "size": {"type": ["integer", "null"], "minimum": 1},
        },
        "required": ["group"],
    }
    path = tmp_path / "groups.csv"
    path.write_text("group,size\nFG1,5\nFG2,\n", encoding="utf-8")
    frame = read_table(path, schema, file_label="groups")
    assert frame["size"].dtype == "Int64" and pd.isna(frame.loc[3, "size"])
    path.write_text("group,size\nfocus 1,0\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(path, schema, file_label="groups")
    messages = [p.message() for p in caught.value.problems]
    assert messages == [
        'groups: row 2, column group: found "f•••• •", expected text matching the pattern '
        "^FG[0-9]+$ (focus group)",
        'groups: row 2, column size: found "•", expected an integer of at least 1',
    ]


def test_header_case_and_spacing_are_normalised_silently(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(
        "Participant ID,Label ,ROLE,group,session,Service level,\n"
        "P01,Manager 1,manager,FG1,FG1,municipal,\n",
        encoding="utf-8",
    )
    assert read_table(path, schema_path("participants")).loc[2, "role"] == "manager"


def test_rows_keep_spreadsheet_numbers_across_blank_lines_and_quoted_breaks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "participants.csv"
    path.write_text(
        f"{PARTICIPANTS_HEADER}\n"
        'P01,"Manager\n1",manager,FG1,FG1,municipal\n'
        "\n"
        "P02,Peer worker 1,peer worker,FG1,FG1,regional\n"
        "P03,Peer worker 2,peer worker,FG1,FG1,municipal,extra\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_table(path, schema_path("participants"))
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (4, "service_level"),
        (5, None),
    ]
    assert "found 7 cells, expected 6 cells" in caught.value.problems[1].message()


def test_duplicated_header_column(tmp_path: Path) -> None:
    path = tmp_path / "codebook.csv"
    path.write_text("theme,subtheme,code,Code\nA,B,c,c\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(path, schema_path("codebook"))
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (1, "Code")
    assert "appears twice" in problem.message()


def test_renamed_column_cells_are_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "extraction.csv"
    text = (BAD / "wrong_type.csv").read_text(encoding="utf-8").replace(",year,", ",yeer,", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_table(path, schema_path("extraction"))
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "yeer"), (3, "year")]


def test_problem_message_format() -> None:
    problem = Problem("data/x.csv", 7, "year", '"20l5"', "an integer between 1950 and 2030")
    assert problem.message() == (
        'data/x.csv: row 7, column year: found "20l5", expected an integer between 1950 and 2030'
    )
    assert Problem("x.csv", None, None, None, "gone").message() == "x.csv: gone"


def test_error_text_is_capped() -> None:
    problems = [Problem("x.csv", r, "year", '"?"', "an integer") for r in range(2, 80)]
    text = str(InputError(problems))
    lines = text.splitlines()
    assert lines[0] == "78 problems in the input data:"
    assert len(lines) == 1 + MAX_LISTED + 1
    assert lines[-1] == f"… and {78 - MAX_LISTED} more"
    assert all(line.startswith("x.csv: ") for line in lines[1:-1])


def test_unsupported_extension() -> None:
    with pytest.raises(InputError, match=r"\.ods"):
        read_table("sheet.ods", schema_path("extraction"))


# --------------------------------------------------------------------------- configuration

CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["seed"],
    "properties": {
        "seed": {"type": "integer", "minimum": 0, "default": 2024},
        "threads": {"type": "integer", "minimum": 1, "default": 2},
        "study1": {
            "type": "object",
            "additionalProperties": False,
            "default": {},
            "properties": {
                "extraction": {"type": "string", "default": "data/synthetic/extraction.csv"},
                "format": {"enum": ["csv", "xlsx"], "default": "csv"},
            },
        },
        "study2": {"$ref": "#/$defs/qualitative"},
    },
    "$defs": {
        "qualitative": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"segments": {"type": "string", "default": "segments.csv"}},
        }
    },
}


def test_config_defaults_filled() -> None:
    given = {"study1": {"format": "xlsx"}, "study2": {}}
    filled = validate_config(given, CONFIG_SCHEMA)
    assert filled == {
        "seed": 2024,
        "threads": 2,
        "study1": {"format": "xlsx", "extraction": "data/synthetic/extraction.csv"},
        "study2": {"segments": "segments.csv"},  # defaults behind a local $ref too
    }
    assert given == {"study1": {"format": "xlsx"}, "study2": {}}  # caller's mapping untouched


def test_config_typo_suggestion_and_all_problems() -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config(
            {
                "seeed": 1,
                "threads": 0,
                "study1": {"formt": "csv", "format": "xls"},
                "study2": {"segment": "s.csv"},
            },
            CONFIG_SCHEMA,
            label="config/config.yaml",
        )
    messages = [p.message() for p in caught.value.problems]
    assert messages == [
        'config/config.yaml: $.seeed: unknown key "seeed" in config; did you mean "seed"?',
        'config/config.yaml: $.study1.format: found "x••" (string), expected one of: csv, xlsx; '
        'did you mean "xlsx"?',
        'config/config.yaml: $.study1.formt: unknown key "formt" in config at $.study1; '
        'did you mean "format"?',
        'config/config.yaml: $.study2.segment: unknown key "segment" in config at $.study2; '
        'did you mean "segments"?',
        "config/config.yaml: $.threads: found 0 (integer), expected a number >= 1",
    ]
    assert str(caught.value).splitlines()[0] == "5 problems in the configuration:"


def test_config_typo_names_the_config_file(tmp_path: Path) -> None:
    """A misspelt key in config/config.yaml is reported with the file's path (Snakemake
    validates the configuration while it parses the workflow, so a dry run suffices)."""
    import shutil
    import subprocess

    repo = FIXTURES.parents[1]
    shutil.copytree(repo / "workflow", tmp_path / "workflow")
    (tmp_path / "config").mkdir()
    text = (repo / "config" / "config.yaml").read_text(encoding="utf-8")
    assert "\nmode: " in text
    (tmp_path / "config" / "config.yaml").write_text(
        text.replace("\nmode: ", "\nmodex: ", 1), encoding="utf-8"
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "-n", "-s", "workflow/Snakefile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0
    assert 'config/config.yaml: $.modex: unknown key "modex"' in done.stdout + done.stderr
    assert 'did you mean "mode"?' in done.stdout + done.stderr
