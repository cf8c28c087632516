"""Write a schema-valid, byte-reproducible REFI-QDA project.

Why: the synthetic data of the compendium must open in NVivo, MAXQDA, ATLAS.ti and
QualCoder, and a rebuilt ``.qdpx`` must hash the same as the one in the archive: fixed
member order, fixed timestamps (``SOURCE_DATE_EPOCH`` or 1980-01-01), fixed compression,
caller-supplied or :func:`~analysis.qdpx.stable_guid` identifiers, and standard code-point
offsets.
"""

from __future__ import annotations

import os
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from analysis.io import atomic_path
from analysis.qdpx.model import PROJECT_NS, QDE_MEMBER, XML_INVALID, QdpxError
from analysis.qdpx.plan import ExportPlan, plan_export

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _xml_text(value: str) -> str:
    """Escape element text; CR becomes a character reference so that it survives parsing."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _xml_attr(value: str) -> str:
    """Escape an attribute value, keeping tabs and line breaks through normalisation."""
    return _xml_text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _zip_date_time(epoch: int | None = None) -> tuple[int, int, int, int, int, int]:
    """Timestamp of every zip member: ``epoch`` if given, else ``SOURCE_DATE_EPOCH`` (UTC),
    else 1980-01-01."""
    raw = str(epoch) if epoch is not None else os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return _ZIP_EPOCH
    try:
        stamp = int(raw)
    except ValueError as exc:
        raise ValueError(f"SOURCE_DATE_EPOCH must be an integer, got {raw!r}") from exc
    parts = time.gmtime(stamp)[:6]
    if parts < _ZIP_EPOCH:
        return _ZIP_EPOCH
    if parts[0] > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])


def _zip_info(name: str, date_time: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    """A ZipInfo whose every field is fixed, so the archive bytes are reproducible."""
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = 0o644 << 16
    return info


def _code_xml(plan: ExportPlan, i: int, depth: int) -> Iterable[str]:
    """One Code element and, nested inside it, its children."""
    cid, cname, _, codable, desc, color = plan.codes[i]
    pad = "  " * depth
    attrs = f'guid="{cid}" name="{_xml_attr(cname)}" isCodable="{str(codable).lower()}"'
    if color:
        attrs += f' color="{color}"'
    kids = plan.children.get(cid, [])
    if not kids and not desc:
        yield f"{pad}<Code {attrs}/>\n"
        return
    yield f"{pad}<Code {attrs}>\n"
    if desc:
        yield f"{pad}  <Description>{_xml_text(desc)}</Description>\n"
    for k in kids:
        yield from _code_xml(plan, k, depth + 1)
    yield f"{pad}</Code>\n"


def _variables_xml(plan: ExportPlan) -> Iterable[str]:
    yield "<Variables>\n"
    for vid, vname, vtype, vdesc in plan.variables:
        head = f'<Variable guid="{vid}" name="{_xml_attr(vname)}" typeOfVariable="{vtype}"'
        if vdesc:
            yield f"{head}><Description>{_xml_text(vdesc)}</Description></Variable>\n"
        else:
            yield f"{head}/>\n"
    yield "</Variables>\n"


def _cases_xml(plan: ExportPlan) -> Iterable[str]:
    yield "<Cases>\n"
    for cid, cname, cdesc, values, refs, selections in plan.cases:
        yield f'<Case guid="{cid}" name="{_xml_attr(cname)}">\n'
        if cdesc:
            yield f"  <Description>{_xml_text(cdesc)}</Description>\n"
        for vi, value in values:
            vid, _, vtype, _ = plan.variables[vi]
            yield (
                f'  <VariableValue><VariableRef targetGUID="{vid}"/>'
                f"<{vtype}Value>{_xml_text(value)}</{vtype}Value></VariableValue>\n"
            )
        for sid in refs:
            yield f'  <SourceRef targetGUID="{sid}"/>\n'
        for sel in selections:
            yield f'  <SelectionRef targetGUID="{sel}"/>\n'
        yield "</Case>\n"
    yield "</Cases>\n"


def _sources_xml(plan: ExportPlan) -> Iterable[str]:
    yield "<Sources>\n"
    for sid, sname, _, sdesc in plan.sources:
        yield (
            f'<TextSource guid="{sid}" name="{_xml_attr(sname)}" '
            f'plainTextPath="internal://{sid}.txt">\n'
        )
        if sdesc:
            yield f"  <Description>{_xml_text(sdesc)}</Description>\n"
        for sel_guid, start, end, user, coding_list in plan.selections[sid]:
            user_attr = f' creatingUser="{user}"' if user else ""
            yield (
                f'  <PlainTextSelection guid="{sel_guid}" startPosition="{start}" '
                f'endPosition="{end}"{user_attr}>\n'
            )
            for coding_guid, code_guid, coder in coding_list:
                coder_attr = f' creatingUser="{coder}"' if coder else ""
                yield (
                    f'    <Coding guid="{coding_guid}"{coder_attr}>'
                    f'<CodeRef targetGUID="{code_guid}"/></Coding>\n'
                )
            yield "  </PlainTextSelection>\n"
        yield "</TextSource>\n"
    yield "</Sources>\n"


def _project_xml(plan: ExportPlan, name: str, origin: str) -> Iterable[str]:
    """Yield project.qde in schema order (Users, CodeBook, Variables, Cases, Sources)."""
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield (
        f'<Project xmlns="{PROJECT_NS}" name="{_xml_attr(name)}" origin="{_xml_attr(origin)}">\n'
    )
    if plan.users:
        yield "<Users>\n"
        for guid, uname in plan.users:
            attr = f' name="{_xml_attr(uname)}"' if uname else ""
            yield f'<User guid="{guid}"{attr}/>\n'
        yield "</Users>\n"
    if plan.codes:
        yield "<CodeBook>\n<Codes>\n"
        for i in plan.children.get("", []):
            yield from _code_xml(plan, i, 1)
        yield "</Codes>\n</CodeBook>\n"
    if plan.variables:
        yield from _variables_xml(plan)
    if plan.cases:
        yield from _cases_xml(plan)
    if plan.sources:
        yield from _sources_xml(plan)
    yield "</Project>\n"


_REQUIRED = {
    "codebook": ("code_id", "name"),
    "sources": ("source_id", "name", "text"),
    "codings": ("start", "end", "code_id"),
    "cases": ("case_id",),
    "variables": ("name",),
    "users": ("user_id",),
}


def _missing_columns(tables: dict[str, pd.DataFrame | None]) -> list[str]:
    problems = []
    for label, needed in _REQUIRED.items():
        frame = tables[label]
        if frame is not None:
            missing = [c for c in needed if c not in frame.columns]
            if label == "codings" and not {"source_id", "source"} & set(frame.columns):
                missing.append("source_id or source")
            if missing:
                problems.append(f"the {label} table lacks column(s) {', '.join(missing)}")
    return problems


def write_qdpx(
    path: str | os.PathLike[str],
    *,
    codebook: pd.DataFrame,
    sources: pd.DataFrame,
    codings: pd.DataFrame,
    cases: pd.DataFrame | None = None,
    variables: pd.DataFrame | None = None,
    users: pd.DataFrame | None = None,
    origin: str = "peerwork-compendium",
    name: str | None = None,
    source_date_epoch: int | None = None,
) -> Path:
    """Write a schema-valid, byte-reproducible REFI-QDA project.

    Tables (the same shapes :func:`~analysis.qdpx.read_qdpx` returns, so a read project can
    be written):

    - ``codebook``: ``code_id``, ``name``, optional ``parent_id`` (""/NaN at top level),
      ``codable`` (default true), ``description``, ``color``. Codes are written nested;
      rows in pre-order round-trip unchanged.
    - ``sources``: ``source_id``, ``name``, ``text`` (stored as ``sources/<guid>.txt``,
      UTF-8 without BOM, line breaks kept), optional ``description``.
    - ``codings``: ``source_id`` (or ``source`` by unique name), ``start``/``end`` as
      *code points* of the source text as given (the standard; convert NVivo imports with
      ``cp_start``/``cp_end``), ``code_id``, optional ``coder`` (user name) or ``coder_id``,
      ``selection_id``, ``coding_id``, and ``text`` (checked against the source when
      present). One PlainTextSelection per distinct (source, start, end), in order of first
      appearance, holding one Coding per row.
    - ``users``: ``user_id``, ``name``; coders not listed get ``stable_guid("user", name)``.
    - ``cases``: ``case_id``, ``name``, one column per variable, ``source_ids`` (or
      ``sources`` by name), semicolon-separated; ``variables``: ``name``, optional
      ``variable_id``, ``type`` (Text by default), ``description``. Without ``variables``
      every extra case column becomes a Text variable.

    The zip members carry ``source_date_epoch`` (default: the ``SOURCE_DATE_EPOCH``
    environment variable) as their time. Missing ids are filled with ``stable_guid``.
    Every problem is collected and raised as one :class:`QdpxError`; nothing is written
    then. The archive is written to a temporary file and renamed into place.
    """
    target = Path(path)
    tables = {
        "codebook": codebook,
        "sources": sources,
        "codings": codings,
        "cases": cases,
        "variables": variables,
        "users": users,
    }
    problems = _missing_columns(tables)
    if problems:
        raise QdpxError(target, problems)
    plan = plan_export(codebook, sources, codings, cases, variables, users, problems)
    project_name = name if name is not None else target.stem
    if XML_INVALID.search(project_name) or XML_INVALID.search(origin):
        problems.append("project name or origin contains a character XML 1.0 cannot carry")
    if problems:
        raise QdpxError(target, problems)
    date_time = _zip_date_time(source_date_epoch)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w") as zf:
        with zf.open(_zip_info(QDE_MEMBER, date_time), "w") as raw:
            buffer: list[str] = []
            size = 0
            for chunk in _project_xml(plan, project_name, origin):
                buffer.append(chunk)
                size += len(chunk)
                if size > 1 << 20:
                    raw.write("".join(buffer).encode("utf-8"))
                    buffer, size = [], 0
            raw.write("".join(buffer).encode("utf-8"))
        for sid, _, text, _ in sorted(plan.sources, key=lambda s: s[0]):
            zf.writestr(_zip_info(f"sources/{sid}.txt", date_time), text.encode("utf-8"))
    return target
