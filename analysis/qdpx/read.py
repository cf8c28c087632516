"""Import a ``.qdpx`` project: the checks that need the whole project, and the tables.

Why separate from :mod:`analysis.qdpx.parse`: the streaming pass only collects rows; here
every reference is checked, the offset convention of every source is decided
(:mod:`analysis.qdpx.offsets`) and the pandas tables of :class:`QdpxProject` are built.
"""

from __future__ import annotations

import os
import sys
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.csvwrite import write_csv
from analysis.qdpx.archive import archive_problems, load_source_texts, lookup, member_index
from analysis.qdpx.model import (
    CASES_FIXED,
    CASES_SOURCE_COLUMNS,
    CODEBOOK_API_COLUMNS,
    CODEBOOK_COLUMNS,
    CODINGS_API_COLUMNS,
    CODINGS_COLUMNS,
    QDE_MEMBER,
    RESERVED_CASE_COLUMNS,
    QdpxError,
    QdpxProject,
    canonical_or_same,
    norm_guid,
    quote,
    str_frame,
)
from analysis.qdpx.offsets import resolve_offsets
from analysis.qdpx.parse import Parsed, parse_qde, schema_problems
from analysis.textrules import FORMULA_HINT, looks_like_formula


def duplicate_problems(p: Parsed) -> list[str]:
    """One problem per guid used by more than one element."""
    if not p.guid_values:
        return []
    norm = pd.Series([canonical_or_same(g) for g in p.guid_values], dtype=object)
    dup = norm.duplicated(keep=False).to_numpy()
    if not dup.any():
        return []
    where: dict[str, list[int]] = {}
    for i in np.flatnonzero(dup):
        where.setdefault(norm.iat[i], []).append(int(i))
    problems = []
    for positions in where.values():
        uses = ", ".join(f"{p.guid_kinds[i]} (line {p.guid_lines[i]})" for i in positions)
        problems.append(
            f"duplicate guid {p.guid_values[positions[0]]}: used by {len(positions)} "
            f"elements: {uses}"
        )
    return problems


def reference_problems(
    p: Parsed,
    code_ids: Mapping[str, str],
    problems: list[str],
) -> list[str]:
    """Check every reference; return the canonical code id of every coding."""
    source_ids = {norm_guid(s["guid"]) for s in p.sources}
    source_ids.update(norm_guid(g) for g in p.other_source_guids)
    variable_ids = {norm_guid(v[0]) for v in p.variables}
    selection_ids = {norm_guid(g) for g in p.sel_guid}
    code_of: list[str] = []
    for i, target in enumerate(p.cod_target):
        sel = p.sel_guid[p.cod_sel[i]]
        if target is None:
            problems.append(
                f"Coding {p.cod_guid[i]} (line {p.cod_line[i]}) in PlainTextSelection {sel} "
                "has no CodeRef"
            )
            code_of.append("")
            continue
        canonical = code_ids.get(target)
        if canonical is None:
            canonical = code_ids.get(norm_guid(target))
        if canonical is None:
            problems.append(
                f"Coding {p.cod_guid[i]} (line {p.cod_line[i]}) in PlainTextSelection {sel} "
                f"refers to unknown code {target} (CodeRef targetGUID)"
            )
            code_of.append("")
        else:
            code_of.append(canonical)
    for kind, owner_kind, owner, target, line in p.refs:
        known = {"code": code_ids, "selection": selection_ids}.get(kind, source_ids)
        if norm_guid(target) not in known:
            element = {"code": "CodeRef", "source": "SourceRef", "selection": "SelectionRef"}.get(
                kind, kind
            )
            if owner_kind == "Set":
                element = "MemberCode" if kind == "code" else "MemberSource"
            problems.append(
                f"{owner_kind} {owner} (line {line}) has a {element} to unknown {kind} {target}"
            )
    for case in p.cases:
        for var_guid, (_, line) in case["values"].items():
            if norm_guid(var_guid) not in variable_ids:
                problems.append(
                    f"Case {case['guid']} (line {line}) has a VariableValue for unknown "
                    f"variable {var_guid}"
                )
    return code_of


def cases_frame(p: Parsed, problems: list[str]) -> pd.DataFrame:
    """Cases wide: one column per variable, then the referenced sources."""
    var_names: dict[str, str] = {}
    seen: dict[str, str] = {}
    for guid, name, _ in p.variables:
        if name in RESERVED_CASE_COLUMNS:
            problems.append(
                f"Variable {guid} is named {quote(name)}, which clashes with a fixed column of "
                "cases.csv"
            )
        elif name in seen:
            problems.append(f"Variables {seen[name]} and {guid} share the name {quote(name)}")
        seen.setdefault(name, guid)
        var_names[norm_guid(guid)] = name
    columns = [*CASES_FIXED, *dict.fromkeys(var_names.values()), *CASES_SOURCE_COLUMNS]
    source_names = {norm_guid(s["guid"]): s["name"] for s in p.sources}
    rows = []
    for case in sorted(p.cases, key=lambda c: (c["name"], c["guid"])):
        row: dict[str, Any] = {"case_id": case["guid"], "name": case["name"]}
        for var_guid, (value, _) in case["values"].items():
            name = var_names.get(norm_guid(var_guid))
            if name is not None:
                row[name] = value
        row["source_ids"] = ";".join(case["sources"])
        row["sources"] = ";".join(source_names.get(norm_guid(s), s) for s in case["sources"])
        row["selection_ids"] = ";".join(case["selections"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=columns)
    for name in columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype("str")
    return frame


def _open_and_parse(
    path: Path, validate: bool, problems: list[str], progress: Callable[[int], None] | None
) -> tuple[Parsed, list[str | None]]:
    """Open the archive, stream project.qde and read the source texts."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OverflowError) as exc:
        raise QdpxError(path, [f"not a valid zip archive (or a corrupt one): {exc}"]) from exc
    except OSError as exc:
        raise QdpxError(path, [f"cannot be opened: {exc.strerror or exc}"]) from exc
    with zf:
        unsafe = archive_problems(zf)
        if unsafe:
            raise QdpxError(path, unsafe)
        index = member_index(zf)
        qde = lookup(index, QDE_MEMBER)
        if qde is None:
            members = (
                ", ".join(
                    quote(i.filename) for i in sorted(zf.infolist(), key=lambda i: i.filename)[:10]
                )
                or "none"
            )
            raise QdpxError(
                path, [f"no {QDE_MEMBER} at the top of the archive (members: {members})"]
            )
        try:
            if validate:
                problems.extend(schema_problems(zf, qde))
            with zf.open(qde) as stream:
                parsed = parse_qde(stream, problems, progress)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
            raise QdpxError(path, [f"zip member {quote(qde.filename)} is corrupt: {exc}"]) from exc
        if parsed is None:
            raise QdpxError(path, problems)
        problems.extend(duplicate_problems(parsed))
        texts = load_source_texts(zf, index, parsed, problems)
    return parsed, texts


def _coder_names(p: Parsed) -> tuple[list[str], list[str]]:
    """The coder guid of every coding (the selection's user if the coding has none) and
    the user name it stands for (its guid when the user has no name or is not listed)."""
    users = dict(p.users)
    users_norm = {norm_guid(g): n for g, n in p.users}
    coder_ids = [
        u if u is not None else p.sel_user[s] for u, s in zip(p.cod_user, p.cod_sel, strict=True)
    ]
    names_by_user: dict[str | None, str] = {}
    coders = []
    for u in coder_ids:
        name = names_by_user.get(u)
        if name is None:
            if not u:
                name = ""
            else:
                name = users.get(u)
                if name is None:
                    name = users_norm.get(norm_guid(u))
                name = name or u
            names_by_user[u] = name
        coders.append(name)
    return [u or "" for u in coder_ids], coders


def _span_texts(
    p: Parsed, texts: Sequence[str | None], cp: tuple[np.ndarray, np.ndarray]
) -> list[str]:
    """The coded text of every selection, sliced once from its source."""
    cp_start, cp_end = cp
    source_of_sel = np.frombuffer(p.sel_source, dtype=np.int64) if p.sel_guid else []
    return [
        (texts[source_of_sel[i]] or "")[cp_start[i] : cp_end[i]] for i in range(len(p.sel_guid))
    ]


def formula_problems(p: Parsed, sel_text: Sequence[str]) -> list[str]:
    """Names, case values and coded spans that start like a spreadsheet formula.

    Why: they reach the published CSV tables (codebook, participants, segments), where a
    spreadsheet program would run them (see :mod:`analysis.textrules`).
    """
    found = [f"Code {c[0]}: name {quote(c[1])}" for c in p.codes if looks_like_formula(c[1])]
    found += [
        f"TextSource {s['guid']}: name {quote(s['name'])}"
        for s in p.sources
        if looks_like_formula(s["name"])
    ]
    for case in p.cases:
        if looks_like_formula(case["name"]):
            found.append(f"Case {case['guid']}: name {quote(case['name'])}")
        for value, line in case["values"].values():
            if value and looks_like_formula(value):
                found.append(f"Case {case['guid']} (line {line}): value {quote(value)}")
    found += [
        f"PlainTextSelection {p.sel_guid[i]} (line {p.sel_line[i]}): coded text {quote(text[:20])}"
        for i, text in enumerate(sel_text)
        if looks_like_formula(text)
    ]
    return [f"{where} starts with =, +, - or @; {FORMULA_HINT}" for where in found]


def _codings_frame(
    p: Parsed,
    sel_text: list[str],
    cp: tuple[np.ndarray, np.ndarray],
    code_of: list[str],
) -> pd.DataFrame:
    """One row per coding; every coded span sliced once per selection."""
    cp_start, cp_end = cp
    empty = np.zeros(0, np.int64)
    sel_idx = np.frombuffer(p.cod_sel, dtype=np.int64) if p.cod_guid else empty
    source_of_sel = np.frombuffer(p.sel_source, dtype=np.int64) if p.sel_guid else sel_idx
    coder_ids, coders = _coder_names(p)
    src_of_coding = source_of_sel[sel_idx] if len(sel_idx) else sel_idx
    src_names = np.array([s["name"] for s in p.sources] or [""], dtype=object)
    src_guids = np.array([s["guid"] for s in p.sources] or [""], dtype=object)
    sel_guids = np.array(p.sel_guid or [""], dtype=object)
    sel_texts = np.array(sel_text or [""], dtype=object)

    def positions(column: Any) -> np.ndarray:
        return np.frombuffer(column, dtype=np.int64)[sel_idx] if len(sel_idx) else empty

    return pd.DataFrame(
        {
            "selection_id": pd.array(sel_guids[sel_idx], dtype="str"),
            "source": pd.array(src_names[src_of_coding], dtype="str"),
            "start": positions(p.sel_start),
            "end": positions(p.sel_end),
            "text": pd.array(sel_texts[sel_idx], dtype="str"),
            "code_id": pd.array(code_of, dtype="str"),
            "coder": pd.array(coders, dtype="str"),
            "coding_id": pd.array(p.cod_guid, dtype="str"),
            "source_id": pd.array(src_guids[src_of_coding], dtype="str"),
            "coder_id": pd.array(coder_ids, dtype="str"),
            "cp_start": cp_start[sel_idx] if len(sel_idx) else empty,
            "cp_end": cp_end[sel_idx] if len(sel_idx) else empty,
        },
        columns=list(CODINGS_API_COLUMNS),
    )


def _small_tables(p: Parsed, texts: Sequence[str | None], conventions: list[str]) -> dict:
    """codebook, users, sources, variables, sets and descriptions as ``str`` frames."""
    return {
        "codebook": str_frame(
            {
                "code_id": [c[0] for c in p.codes],
                "name": [c[1] for c in p.codes],
                "parent_id": [c[2] for c in p.codes],
                "codable": [c[3] for c in p.codes],
                "description": [p.code_descriptions.get(c[0], "") for c in p.codes],
                "color": [c[4] for c in p.codes],
            },
            CODEBOOK_API_COLUMNS,
            bools=("codable",),
        ),
        "users": str_frame(
            {"user_id": [u[0] for u in p.users], "name": [u[1] for u in p.users]},
            ("user_id", "name"),
        ),
        "sources": str_frame(
            {
                "source_id": [s["guid"] for s in p.sources],
                "name": [s["name"] for s in p.sources],
                "plain_text_path": [s["path"] or "" for s in p.sources],
                "text": [t or "" for t in texts],
                "offset_convention": conventions,
            },
            ("source_id", "name", "plain_text_path", "text", "offset_convention"),
        ),
        "variables": str_frame(
            {
                key: [v[i] for v in p.variables]
                for i, key in enumerate(("variable_id", "name", "type"))
            },
            ("variable_id", "name", "type"),
        ),
        "sets": str_frame(
            {
                key: [s[i] for s in p.sets]
                for i, key in enumerate(("set_id", "name", "member_type", "member_id"))
            },
            ("set_id", "name", "member_type", "member_id"),
        ),
        "descriptions": str_frame(
            {
                key: [d[i] for d in p.descriptions]
                for i, key in enumerate(("kind", "guid", "description"))
            },
            ("kind", "guid", "description"),
        ),
    }


def terminal_progress(path: Path) -> Callable[[int], None] | None:
    """A progress line on stderr for a large import, only when stderr is a terminal.

    Why only then: the DAG's logs and staged files must not fill with progress lines, but an
    author importing a large project by hand wants to see that something happens.
    """
    if not sys.stderr.isatty():
        return None

    def report(codings: int) -> None:
        sys.stderr.write(f"\r{path.name}: {codings:,} codings read")
        sys.stderr.flush()

    return report


def read_qdpx(
    path: str | os.PathLike[str],
    *,
    validate: bool = False,
    progress: Callable[[int], None] | None = None,
) -> QdpxProject:
    """Import a REFI-QDA ``.qdpx`` project; see :mod:`analysis.qdpx` for the rules.

    Why ``validate`` is opt-in: real exports often deviate from the schema in harmless ways
    (NVivo for Mac namespaces, missing ``isCodable``); the importer tolerates those but
    refuses anything that would change the analysis. With ``validate=True`` schema errors
    (with line numbers) are added to the problems. ``progress`` is called with the number of
    codings read so far (see :func:`terminal_progress`).

    Raises :class:`QdpxError` listing every problem of the file.
    """
    path = Path(path)
    problems: list[str] = []
    warnings: list[str] = []
    p, texts = _open_and_parse(path, validate, problems, progress)
    code_ids: dict[str, str] = {}
    for code in p.codes:
        code_ids.setdefault(code[0], code[0])
        code_ids.setdefault(norm_guid(code[0]), code[0])
    code_of = reference_problems(p, code_ids, problems)
    cp_start, cp_end, conventions = resolve_offsets(p, texts, problems, warnings)
    cases = cases_frame(p, problems)
    sel_text = _span_texts(p, texts, (cp_start, cp_end)) if not problems else []
    problems.extend(formula_problems(p, sel_text))
    if problems:
        raise QdpxError(path, problems)
    if p.ignored_codings:
        warnings.append(
            f"{p.ignored_codings} Coding element(s) outside text-source PlainTextSelections "
            "(whole-source, PDF, picture or media codings) were not imported"
        )
    return QdpxProject(
        path=str(path),
        name=p.name,
        origin=p.origin,
        codings=_codings_frame(p, sel_text, (cp_start, cp_end), code_of),
        cases=cases,
        **_small_tables(p, texts, conventions),
        offset_convention=MappingProxyType(
            {s["guid"]: c for s, c in zip(p.sources, conventions, strict=True)}
        ),
        warnings=tuple(warnings),
    )


def write_tables(project: QdpxProject, outdir: str | os.PathLike[str]) -> list[Path]:
    """Write ``codebook.csv``, ``codings.csv`` and (if there are cases) ``cases.csv``.

    Why fixed columns and ``\\n`` line ends: the tables are DAG outputs that are hashed and
    diffed, so the same project must give the same bytes on every platform. ``codable`` is
    written ``true``/``false`` as in the REFI-QDA file. Returns the paths written.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    codebook = project.codebook.loc[:, list(CODEBOOK_COLUMNS)]
    codebook = codebook.assign(codable=np.where(codebook["codable"], "true", "false"))
    written = []
    for name, frame in (
        ("codebook.csv", codebook),
        ("codings.csv", project.codings.loc[:, list(CODINGS_COLUMNS)]),
    ):
        written.append(write_csv(frame, out / name))
    if len(project.cases):
        written.append(write_csv(project.cases, out / "cases.csv"))
    return written
