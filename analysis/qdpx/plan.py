"""Check the caller's tables before a ``.qdpx`` is written, and order them for writing.

Why separate from the XML writer: every problem of the tables (unknown codes, spans outside
their source, guids used twice, characters XML cannot carry) is collected here before a
byte is written, so :func:`analysis.qdpx.write_qdpx` either writes a valid project or raises
one :class:`~analysis.qdpx.QdpxError` listing everything.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analysis.qdpx.model import (
    GUID,
    RESERVED_CASE_COLUMNS,
    VARIABLE_TYPES,
    XML_INVALID,
    is_missing,
    norm_guid,
    quote,
    stable_guid,
)

_VALUE_PATTERNS = {
    "Boolean": r"true|false|1|0",
    "Integer": r"[+-]?[0-9]+",
    "Float": r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)",
    "Date": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?",
    "DateTime": r"-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?",
}


def column(frame: pd.DataFrame, name: str) -> list[Any] | None:
    """A column as a Python list, or None if the frame lacks it."""
    return frame[name].tolist() if name in frame.columns else None


def cell(value: Any) -> str:
    """Cell value as string; missing becomes ""."""
    return "" if is_missing(value) else str(value)


def format_value(value: Any, kind: str) -> str | None:
    """Render a variable value for its ``typeOfVariable``; None if it does not fit."""
    if isinstance(value, bool | np.bool_):
        text = "true" if value else "false"
    elif isinstance(value, float | np.floating):
        if not math.isfinite(float(value)):
            return None
        text = np.format_float_positional(float(value), trim="-")
    else:
        text = str(value)
    pattern = _VALUE_PATTERNS.get(kind)
    if pattern is not None and not re.fullmatch(pattern, text.strip()):
        return None
    return text


@dataclass
class ExportPlan:
    """Validated, ordered content of a project to write."""

    users: list[tuple[str, str]] = field(default_factory=list)
    codes: list[tuple[str, str, str, bool, str, str]] = field(default_factory=list)
    children: dict[str, list[int]] = field(default_factory=dict)
    variables: list[tuple[str, str, str, str]] = field(default_factory=list)
    cases: list[tuple[str, str, str, list[tuple[int, str]], list[str], list[str]]] = field(
        default_factory=list
    )
    sources: list[tuple[str, str, str, str]] = field(default_factory=list)
    selections: dict[str, list[tuple[str, int, int, str, list[tuple[str, str, str]]]]] = field(
        default_factory=dict
    )


class Planner:
    """Builds an :class:`ExportPlan` table by table, appending every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.plan = ExportPlan()
        self.problems = problems
        self.guid_owner: dict[str, str] = {}
        self.user_by_name: dict[str, str] = {}
        self.user_ids: dict[str, str] = {}
        self.code_index: dict[str, int] = {}
        self.source_by_name: dict[str, str] = {}
        self.dup_names: set[str] = set()
        self.source_text: dict[str, str] = {}
        self.source_id_of: dict[str, str] = {}
        self.groups: dict[tuple[str, int, int], tuple[str, list[tuple[str, str, str]]]] = {}

    # ---------------------------------------------------------------- shared checks

    def claim(self, guid: str, what: str) -> None:
        """Record that ``what`` uses ``guid``; report a malformed or reused guid."""
        if not GUID.fullmatch(guid):
            self.problems.append(f"{what}: {quote(guid)} is not a GUID")
            return
        key = norm_guid(guid)
        if key in self.guid_owner:
            self.problems.append(f"duplicate guid {guid}: {self.guid_owner[key]} and {what}")
        else:
            self.guid_owner[key] = what

    def check_text(self, value: str, what: str) -> str:
        if XML_INVALID.search(value):
            self.problems.append(f"{what} contains a character that XML 1.0 cannot carry")
        return value

    # ---------------------------------------------------------------- users

    def users(self, users: pd.DataFrame | None) -> None:
        if users is None:
            return
        names = column(users, "name") or [""] * len(users)
        for uid, uname in zip(users["user_id"].tolist(), names, strict=True):
            uid, uname = cell(uid), cell(uname)
            self.claim(uid, f"User {uid}")
            self.plan.users.append((uid, self.check_text(uname, f"name of User {uid}")))
            self.user_ids[norm_guid(uid)] = uid
            if uname:
                self.user_by_name.setdefault(uname, uid)

    def user_for(self, coder: str) -> str:
        """The guid of the user named ``coder`` (or with that guid); new users get one."""
        if not coder:
            return ""
        if coder in self.user_by_name:
            return self.user_by_name[coder]
        if GUID.fullmatch(coder) and norm_guid(coder) in self.user_ids:
            return self.user_ids[norm_guid(coder)]
        uid = stable_guid("user", coder)
        self.claim(uid, f"User {uid} (coder {quote(coder)})")
        self.plan.users.append((uid, self.check_text(coder, f"coder {quote(coder)}")))
        self.user_by_name[coder] = uid
        self.user_ids[norm_guid(uid)] = uid
        return uid

    def user_by_id(self, coder_uid: str, coder_name: str, what: str) -> str:
        if norm_guid(coder_uid) not in self.user_ids:
            self.claim(coder_uid, f"User {coder_uid}")
            self.plan.users.append((coder_uid, self.check_text(coder_name, what)))
            self.user_ids[norm_guid(coder_uid)] = coder_uid
        return self.user_ids[norm_guid(coder_uid)]

    # ---------------------------------------------------------------- codes

    def codes(self, codebook: pd.DataFrame) -> None:
        n = len(codebook)
        parents = column(codebook, "parent_id") or [""] * n
        codable = column(codebook, "codable") or [True] * n
        descriptions = column(codebook, "description") or [""] * n
        colors = column(codebook, "color") or [""] * n
        ids, names = codebook["code_id"].tolist(), codebook["name"].tolist()
        for i, (cid, cname) in enumerate(zip(ids, names, strict=True)):
            cid = cell(cid)
            self.claim(cid, f"Code {cid}")
            flag = codable[i]
            if isinstance(flag, str):
                flag = flag.strip().lower() not in ("false", "0")
            color = cell(colors[i])
            if color and not re.fullmatch(r"#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})", color):
                self.problems.append(f"Code {cid}: color {quote(color)} is not #RGB or #RRGGBB")
            self.plan.codes.append(
                (
                    cid,
                    self.check_text(cell(cname), f"name of Code {cid}"),
                    cell(parents[i]),
                    True if is_missing(flag) else bool(flag),
                    self.check_text(cell(descriptions[i]), f"description of Code {cid}"),
                    color,
                )
            )
            self.code_index[norm_guid(cid)] = i
        self._hierarchy()

    def _hierarchy(self) -> None:
        """Children of every code; report unknown parents and parent cycles."""
        plan = self.plan
        for i, code in enumerate(plan.codes):
            parent = code[2]
            if parent and norm_guid(parent) not in self.code_index:
                self.problems.append(f"Code {code[0]} has unknown parent_id {quote(parent)}")
                parent = ""
            key = plan.codes[self.code_index[norm_guid(parent)]][0] if parent else ""
            plan.children.setdefault(key, []).append(i)
        visited: set[int] = set()
        stack = list(plan.children.get("", []))
        while stack:
            i = stack.pop()
            if i not in visited:
                visited.add(i)
                stack.extend(plan.children.get(plan.codes[i][0], []))
        for i, code in enumerate(plan.codes):
            if i not in visited:
                self.problems.append(
                    f"Code {code[0]} is not under any top-level code (its parent_id links "
                    "form a cycle)"
                )

    # ---------------------------------------------------------------- sources

    def sources(self, sources: pd.DataFrame) -> None:
        src_desc = column(sources, "description") or [""] * len(sources)
        rows = zip(
            sources["source_id"].tolist(),
            sources["name"].tolist(),
            sources["text"].tolist(),
            strict=True,
        )
        for i, (sid, sname, text) in enumerate(rows):
            sid, sname, text = cell(sid), cell(sname), cell(text)
            self.claim(sid, f"TextSource {sid}")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                self.problems.append(f"TextSource {sid}: text cannot be encoded as UTF-8")
            self.plan.sources.append(
                (
                    sid,
                    self.check_text(sname, f"name of TextSource {sid}"),
                    text,
                    self.check_text(cell(src_desc[i]), f"description of TextSource {sid}"),
                )
            )
            self.source_text[sid] = text
            self.source_id_of[norm_guid(sid)] = sid
            if sname in self.source_by_name:
                self.dup_names.add(sname)
            self.source_by_name.setdefault(sname, sid)
            self.plan.selections[sid] = []

    def source_for(self, value: str, by_id: bool, what: str) -> str | None:
        """The source guid a codings or cases row refers to (by id or by unique name)."""
        if by_id:
            sid = self.source_id_of.get(norm_guid(value))
            if sid is None:
                self.problems.append(f"{what} refers to unknown source id {quote(value)}")
            return sid
        if value in self.dup_names:
            self.problems.append(
                f"{what} refers to source name {quote(value)}, which is not unique"
            )
            return None
        sid = self.source_by_name.get(value)
        if sid is None:
            self.problems.append(f"{what} refers to unknown source {quote(value)}")
        return sid

    # ---------------------------------------------------------------- codings

    def codings(self, codings: pd.DataFrame) -> None:
        """Group codings into one PlainTextSelection per distinct (source, start, end)."""
        by_id = "source_id" in codings.columns
        cols = {
            "src": codings["source_id" if by_id else "source"].tolist(),
            "start": codings["start"].tolist(),
            "end": codings["end"].tolist(),
            "code": codings["code_id"].tolist(),
            "coder_id": column(codings, "coder_id"),
            "coder": column(codings, "coder") or [""] * len(codings),
            "sel": column(codings, "selection_id"),
            "coding": column(codings, "coding_id"),
            "text": column(codings, "text"),
        }
        for row in range(len(codings)):
            self._coding(row, cols, by_id)

    def _span(self, row: int, cols: dict[str, Any], by_id: bool) -> tuple[str, int, int] | None:
        """The checked (source, start, end) of one codings row, or None."""
        what = f"codings row {row}"
        sid = self.source_for(cell(cols["src"][row]), by_id, what)
        try:
            start, end = int(cols["start"][row]), int(cols["end"][row])
        except (TypeError, ValueError, OverflowError):
            self.problems.append(
                f"{what}: start/end {quote(cols['start'][row])}/{quote(cols['end'][row])} "
                "not integers"
            )
            return None
        if sid is None:
            return None
        text = self.source_text[sid]
        if not 0 <= start <= end <= len(text):
            self.problems.append(
                f"{what}: span {start}-{end} is outside TextSource {sid} "
                f"({len(text)} code points) or ends before it starts"
            )
            return None
        given = cols["text"][row] if cols["text"] is not None else None
        if given is not None and not is_missing(given) and given != text[start:end]:
            self.problems.append(
                f"{what}: text does not match TextSource {sid} at {start}-{end} "
                "(offsets must be code points of the text as given)"
            )
            return None
        return sid, start, end

    def _coding(self, row: int, cols: dict[str, Any], by_id: bool) -> None:
        span = self._span(row, cols, by_id)
        if span is None:
            return
        what = f"codings row {row}"
        code = self.code_index.get(norm_guid(cell(cols["code"][row])))
        if code is None:
            self.problems.append(f"{what} refers to unknown code {quote(cell(cols['code'][row]))}")
            return
        coder_ids = cols["coder_id"]
        if coder_ids is not None and not is_missing(coder_ids[row]) and coder_ids[row]:
            coder_uid = self.user_by_id(cell(coder_ids[row]), cell(cols["coder"][row]), what)
        else:
            coder_uid = self.user_for(cell(cols["coder"][row]))
        group = self.groups.get(span)
        if group is None:
            sel_guid = cell(cols["sel"][row]) if cols["sel"] is not None else ""
            if not sel_guid:
                sel_guid = stable_guid("selection", *span)
            self.claim(sel_guid, f"PlainTextSelection {sel_guid}")
            group = self.groups[span] = (sel_guid, [])
            self.plan.selections[span[0]].append((sel_guid, span[1], span[2], coder_uid, group[1]))
        code_guid = self.plan.codes[code][0]
        coding_guid = cell(cols["coding"][row]) if cols["coding"] is not None else ""
        if not coding_guid:
            seen = sum(1 for c in group[1] if c[1] == code_guid and c[2] == coder_uid)
            coding_guid = stable_guid("coding", group[0], code_guid, coder_uid, seen)
        self.claim(coding_guid, f"Coding {coding_guid}")
        group[1].append((coding_guid, code_guid, coder_uid))

    # ---------------------------------------------------------------- variables and cases

    def variables(self, variables: pd.DataFrame | None, case_columns: Sequence[str]) -> None:
        """Declared variables, then one Text variable per undeclared case column."""
        declared: list[tuple[str, str, str, str]] = []
        if variables is not None:
            v_ids = column(variables, "variable_id")
            v_types = column(variables, "type")
            v_desc = column(variables, "description")
            for i, vname in enumerate(variables["name"].tolist()):
                vname = cell(vname)
                vid = cell(v_ids[i]) if v_ids is not None else ""
                declared.append(
                    (
                        vid or stable_guid("variable", vname),
                        vname,
                        cell(v_types[i]) if v_types is not None else "Text",
                        cell(v_desc[i]) if v_desc is not None else "",
                    )
                )
        names = {d[1] for d in declared}
        for name in case_columns:
            if name not in names:
                declared.append((stable_guid("variable", name), str(name), "Text", ""))
        seen: set[str] = set()
        for vid, vname, vtype, vdesc in declared:
            self.claim(vid, f"Variable {vid} ({quote(vname)})")
            if vname in RESERVED_CASE_COLUMNS or vname in seen:
                self.problems.append(
                    f"Variable {vid}: name {quote(vname)} is reserved or used twice (cases.csv "
                    "needs one column per variable name)"
                )
            seen.add(vname)
            vtype = vtype or "Text"
            if vtype not in VARIABLE_TYPES:
                self.problems.append(
                    f"Variable {vid} ({quote(vname)}) has unknown type {quote(vtype)}"
                )
            self.plan.variables.append(
                (vid, self.check_text(vname, f"name of Variable {vid}"), vtype, vdesc)
            )

    def _case_values(self, cid: str, row: int, columns: dict[str, list[Any]]) -> list:
        var_pos = {v[1]: i for i, v in enumerate(self.plan.variables)}
        values = []
        for name, cells in columns.items():
            value = cells[row]
            if is_missing(value):
                continue
            vi = var_pos[str(name)]
            vtype = self.plan.variables[vi][2]
            rendered = format_value(value, vtype)
            if rendered is None:
                self.problems.append(
                    f"Case {cid}: value {quote(value)} does not fit variable {quote(name)} of "
                    f"type {vtype}"
                )
                continue
            values.append((vi, self.check_text(rendered, f"Case {cid} value of {quote(name)}")))
        return values

    def _case_refs(self, cid: str, raw_ids: Any, raw_names: Any) -> list[str]:
        use_ids = raw_ids is not None and not is_missing(raw_ids)
        raw = raw_ids if use_ids else raw_names
        refs = []
        for part in cell(raw).split(";"):
            part = part.strip()
            if part:
                sid = self.source_for(part, use_ids, f"Case {cid}")
                if sid is not None:
                    refs.append(sid)
        return refs

    def cases(self, cases: pd.DataFrame, case_columns: Sequence[str], rejected: set[str]) -> None:
        """One case per row; ``rejected`` are selections of codings rows already refused."""
        n = len(cases)
        names = column(cases, "name") or [""] * n
        c_desc = column(cases, "description") or [""] * n
        src_ids = column(cases, "source_ids") or [None] * n
        src_names = column(cases, "sources") or [None] * n
        sel_refs = column(cases, "selection_ids") or [None] * n
        known = {
            norm_guid(sel[0]): sel[0] for sels in self.plan.selections.values() for sel in sels
        }
        columns = {c: cases[c].tolist() for c in case_columns}
        for row, cid in enumerate(cases["case_id"].tolist()):
            cid = cell(cid)
            self.claim(cid, f"Case {cid}")
            values = self._case_values(cid, row, columns)
            refs = self._case_refs(cid, src_ids[row], src_names[row])
            selections: list[str] = []
            raw_sel = sel_refs[row]
            for part in ("" if is_missing(raw_sel) else cell(raw_sel)).split(";"):
                part = part.strip()
                if part and norm_guid(part) in known:
                    selections.append(known[norm_guid(part)])
                elif part and norm_guid(part) not in rejected:
                    self.problems.append(
                        f"Case {cid}: SelectionRef to unknown selection {quote(part)}"
                    )
            self.plan.cases.append(
                (
                    cid,
                    self.check_text(cell(names[row]), f"name of Case {cid}"),
                    self.check_text(cell(c_desc[row]), f"description of Case {cid}"),
                    values,
                    refs,
                    selections,
                )
            )


def plan_export(
    codebook: pd.DataFrame,
    sources: pd.DataFrame,
    codings: pd.DataFrame,
    cases: pd.DataFrame | None,
    variables: pd.DataFrame | None,
    users: pd.DataFrame | None,
    problems: list[str],
) -> ExportPlan:
    """Check the caller's tables and put them in the order they will be written."""
    planner = Planner(problems)
    planner.users(users)
    planner.codes(codebook)
    planner.sources(sources)
    planner.codings(codings)
    case_columns = (
        [c for c in cases.columns if c not in RESERVED_CASE_COLUMNS] if cases is not None else []
    )
    planner.variables(variables, case_columns)
    if cases is not None:
        rejected = {norm_guid(cell(v)) for v in (column(codings, "selection_id") or [])}
        planner.cases(cases, case_columns, rejected)
    return planner.plan
