"""What the privacy gate scans in a REFI-QDA project: everything, by construction.

Two views, because each can hold text the other does not:

- the raw ``project.qde``: every attribute and every text (and tail text) of every element,
  so notes, memos, graphs, links and whatever a CAQDAS tool adds are scanned although the
  importer (:mod:`analysis.qdpx`) does not model them. An attribute is skipped only when the
  bundled REFI-QDA XSD never gives it a free-text type (guid, number, date, boolean, colour,
  enumeration) *and* its value has that form: the importer is lenient about the schema, so a
  ``guid`` holding prose is scanned like any other text;
- the imported model (:class:`analysis.qdpx.QdpxProject`): the source texts (stored as
  separate archive members) and every other string field and table column, except the
  columns listed in :data:`MODEL_CLOSED` (guids, offsets, flags the importer derives).
  A string already seen in the XML is not scanned twice.

Both return ``(file, location, text)`` triples for :func:`analysis.privacy.scan_located`.
Locations name elements by line, element and guid; a value shown in a location (a column
named after a variable, a guid that is not one) goes through :func:`analysis.masking.mask`.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pandas as pd
from lxml import etree

from analysis.masking import mask
from analysis.qdpx import SCHEMA_PATH, QdpxProject
from analysis.qdpx.parse import SAFE_XML

__all__ = ["MODEL_CLOSED", "closed_attributes", "model_items", "model_fields", "xml_items"]

#: (model field, column) pairs that hold only identifiers, offsets or flags the importer
#: makes; every other field and column of :class:`QdpxProject` is scanned.
MODEL_CLOSED: frozenset[tuple[str, str]] = frozenset(
    {
        ("path", ""),
        ("offset_convention", ""),
        ("codebook", "code_id"),
        ("codebook", "parent_id"),
        ("codebook", "codable"),
        ("codebook", "color"),
        ("codings", "selection_id"),
        ("codings", "start"),
        ("codings", "end"),
        ("codings", "code_id"),
        ("codings", "coding_id"),
        ("codings", "source_id"),
        ("codings", "coder_id"),
        ("codings", "cp_start"),
        ("codings", "cp_end"),
        ("cases", "case_id"),
        ("cases", "source_ids"),
        ("cases", "selection_ids"),
        ("users", "user_id"),
        ("sources", "source_id"),
        ("sources", "offset_convention"),
        ("variables", "variable_id"),
        ("variables", "type"),
        ("sets", "set_id"),
        ("sets", "member_type"),
        ("sets", "member_id"),
        ("descriptions", "kind"),
        ("descriptions", "guid"),
    }
)

_XS = "{http://www.w3.org/2001/XMLSchema}"
_TYPE_PATTERNS = {
    "xsd:integer": r"[+-]?[0-9]{1,19}",
    "xsd:int": r"[+-]?[0-9]{1,10}",
    "xsd:double": r"[+-]?[0-9.eE+-]{1,32}",
    "xsd:decimal": r"[+-]?[0-9.]{1,32}",
    "xsd:boolean": r"true|false|0|1",
    "xsd:dateTime": r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{5,18}(?:Z|[+-][0-9]{2}:[0-9]{2})?",
    "xsd:date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
}
_OPEN_TYPES = frozenset({"xsd:string", "xsd:anyURI", "xsd:token", "xsd:normalizedString"})
_GUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"
)


@cache
def closed_attributes() -> dict[str, re.Pattern[str]]:
    """Attribute name -> the form its values must have to be skipped, from the XSD.

    An attribute name that has a free-text type anywhere in the schema is not listed (it is
    always scanned), nor is one the schema does not know.
    """
    tree = etree.parse(str(SCHEMA_PATH))
    simple: dict[str, str] = {}
    for st in tree.iter(f"{_XS}simpleType"):
        name = st.get("name")
        patterns = [p.get("value") for p in st.iter(f"{_XS}pattern")]
        enums = [re.escape(e.get("value") or "") for e in st.iter(f"{_XS}enumeration")]
        if name and (patterns or enums):
            simple[name] = "|".join(f"(?:{p})" for p in [*patterns, *enums])
    forms: dict[str, list[str]] = {}
    open_names: set[str] = set()
    for attr in tree.iter(f"{_XS}attribute"):
        name, kind = attr.get("name"), attr.get("type") or "xsd:string"
        if not name:
            continue
        pattern = simple.get(kind) or _TYPE_PATTERNS.get(kind)
        if kind in _OPEN_TYPES or pattern is None:
            open_names.add(name)
        else:
            forms.setdefault(name, []).append(pattern)
    return {
        name: re.compile("|".join(f"(?:{p})" for p in patterns))
        for name, patterns in forms.items()
        if name not in open_names
    }


def _qde_member(zf: zipfile.ZipFile) -> zipfile.ZipInfo:
    hits = [i for i in zf.infolist() if i.filename.lower() == "project.qde"]
    if not hits:  # read_qdpx already refused such a file; fail closed all the same
        raise ValueError("no project.qde in the archive")
    return hits[0]


def _element_ref(name: str, guid: str | None) -> str:
    if guid is None:
        return name
    return f"{name} {guid}" if _GUID_RE.fullmatch(guid) else f"{name} {mask(guid)}"


def _walk(stream: object) -> Iterator[tuple[str, str, str]]:
    """(element reference, part, text) for every attribute value and text of the XML."""
    context = etree.iterparse(
        stream,
        events=("start", "end"),
        **SAFE_XML,
        remove_comments=True,
        remove_pis=True,
        huge_tree=True,
    )
    closed = closed_attributes()
    refs: list[str] = []
    owners: list[str] = []
    for event, el in context:
        name = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else str(el.tag)
        if event == "start":
            previous = el.getprevious()
            if previous is not None and previous.tail and previous.tail.strip():
                yield refs[-1], "text", previous.tail  # text between two child elements
            guid = el.get("guid")
            owner = owners[-1] if owners else ""
            if guid is not None or not owner:
                owner = _element_ref(name, guid)
                ref = owner
            else:  # a child without guid is named below its owner: "Note <guid> > Text"
                ref = f"{owner} > {name}"
            owners.append(owner)
            refs.append(f"line {el.sourceline}, {ref}")
            for attr, value in el.attrib.items():
                attr_name = attr.rpartition("}")[2]
                form = closed.get(attr_name)
                if value and (form is None or form.fullmatch(value.strip()) is None):
                    yield refs[-1], f"attribute {attr_name}", value
            continue
        ref = refs.pop()
        owners.pop()
        if el.text and el.text.strip():
            yield ref, "text", el.text
        if len(el) and el[-1].tail and el[-1].tail.strip():
            yield ref, "text", el[-1].tail
        # free memory as the importer does: a project can hold half a million codings
        el.clear(keep_tail=True)
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]


def xml_items(path: str | Path, label: str) -> list[tuple[str, str, str]]:
    """Every attribute and text of the project's ``project.qde`` as scan items."""
    with zipfile.ZipFile(path) as zf, zf.open(_qde_member(zf)) as stream:
        return [(label, f"project.qde {ref}, {part}", text) for ref, part, text in _walk(stream)]


def _frame_fields(name: str, frame: pd.DataFrame) -> list[tuple[str, str]]:
    return [(name, str(column)) for column in frame.columns]


def model_fields(project: QdpxProject) -> list[tuple[str, str]]:
    """Every (field, column) of the model; plain fields have column ``""``."""
    fields: list[tuple[str, str]] = []
    for f in dataclasses.fields(project):
        value = getattr(project, f.name)
        if isinstance(value, pd.DataFrame):
            fields.extend(_frame_fields(f.name, value))
        else:
            fields.append((f.name, ""))
    return fields


def _values(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, dict):
        return [str(v) for kv in value.items() for v in kv]
    return [] if value is None else [str(value)]


def model_items(
    project: QdpxProject, label: str, seen: set[str] | None = None
) -> list[tuple[str, str, str]]:
    """Every string of the model outside :data:`MODEL_CLOSED` that is not in ``seen``."""
    seen = set() if seen is None else seen
    items: list[tuple[str, str, str]] = []
    fixed = {c for f, c in MODEL_CLOSED} | {"name", "text", "description", "coder", "source"}
    for field, column in model_fields(project):
        if (field, column) in MODEL_CLOSED:
            continue
        value = getattr(project, field)
        if not column:
            texts = [(f"model {field}", t) for t in _values(value)]
        else:
            shown = column if column in fixed else mask(column)
            if column not in fixed and column not in seen:
                items.append((label, f"model {field}, column name", column))
            texts = [
                (f"model {field} row {i + 1}, column {shown}", v)
                for i, v in enumerate(value[column].tolist())
                if isinstance(v, str)
            ]
        for location, text in texts:
            if text and text not in seen:
                seen.add(text)
                items.append((label, location, text))
    return items
