"""One streaming pass over ``project.qde``: plain Python rows, never a tree.

Why a hand-written state machine: building the tree of a 500,000-coding project costs
gigabytes, so every element is cleared (and removed from its parent) at its end tag and only
plain Python rows are kept, in parallel ``array`` columns where there are many of them.
Elements are matched by their *local* name because the namespace varies between tools.
Entities, DTDs and the network are never resolved.
"""

from __future__ import annotations

import re
import zipfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from analysis.qdpx.model import QDE_MEMBER, SCHEMA_PATH, SOURCE_ELEMENTS, VALUE_ELEMENTS, quote

#: Largest position a selection may have: positions live in 64-bit arrays, and no text that
#: fits in memory is longer.
# Every XML parse of an untrusted project: no entity expansion, no network, no DTD (XXE,
# external DTDs and billion-laughs are refused); the privacy scan parses with the same.
SAFE_XML = {"resolve_entities": False, "no_network": True, "load_dtd": False}

MAX_POSITION = 2**62
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass
class Parsed:
    """Everything collected from one streaming pass over project.qde."""

    name: str = ""
    origin: str = ""
    users: list[tuple[str, str]] = field(default_factory=list)
    codes: list[list[Any]] = field(default_factory=list)  # guid, name, parent, codable, color
    code_descriptions: dict[str, str] = field(default_factory=dict)
    variables: list[tuple[str, str, str]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)  # text sources
    other_source_guids: list[str] = field(default_factory=list)
    sets: list[tuple[str, str, str, str]] = field(default_factory=list)
    descriptions: list[tuple[str, str, str]] = field(default_factory=list)
    # selections (parallel columns)
    sel_source: array = field(default_factory=lambda: array("q"))
    sel_guid: list[str] = field(default_factory=list)
    sel_start: array = field(default_factory=lambda: array("q"))
    sel_end: array = field(default_factory=lambda: array("q"))
    sel_valid: bytearray = field(default_factory=bytearray)
    sel_user: list[str | None] = field(default_factory=list)
    sel_line: array = field(default_factory=lambda: array("q"))
    # codings inside text selections (parallel columns)
    cod_sel: array = field(default_factory=lambda: array("q"))
    cod_guid: list[str] = field(default_factory=list)
    cod_target: list[str | None] = field(default_factory=list)
    cod_user: list[str | None] = field(default_factory=list)
    cod_line: array = field(default_factory=lambda: array("q"))
    # other references to check: (kind, owner kind, owner guid, target, line)
    refs: list[tuple[str, str, str, str, int]] = field(default_factory=list)
    ignored_codings: int = 0
    # every guid attribute, for the duplicate check
    guid_values: list[str] = field(default_factory=list)
    guid_kinds: list[str] = field(default_factory=list)
    guid_lines: array = field(default_factory=lambda: array("q"))


def _position(raw: str | None) -> int | None:
    """A start/end position as an int, or None when it is not one a text can have."""
    # ASCII digits only (int() would read Arabic-Indic digits too), and at most 24 of them:
    # 10**24 is far beyond any text, and a 5,000-digit number must not reach int()
    if raw is None or len(raw) > 24 or not _ASCII_INTEGER.fullmatch(raw.strip()):
        return None
    value = int(raw)
    return value if -MAX_POSITION < value < MAX_POSITION else None


class _QdeParser:
    """The state of the streaming pass; one ``_start_<Element>``/``_end_<Element>`` each.

    Why methods: each element's handling stays a few lines long and can be read alone; the
    dispatch tables map a local name to its handler once per distinct tag.
    """

    def __init__(self, problems: list[str], progress: Callable[[int], None] | None) -> None:
        self.p = Parsed()
        self.problems = problems
        self.progress = progress
        # one string object per distinct code/user guid: half a million codings repeat a few
        # dozen of them, and sharing saves ~170 bytes per coding
        self.shared: dict[str, str] = {}
        self.names: list[str] = []
        self.guids: list[str | None] = []
        self.code_stack: list[str] = []
        self.src_index = -1  # index into p.sources of the open TextSource
        self.sel_index = -1  # index of the open PlainTextSelection
        self.in_coding = False
        self.cod: list[Any] = ["", None, None, 0]  # guid, user, target, line
        self.case: dict[str, Any] | None = None
        self.value_ref: list[Any] | None = None  # [variable guid, value, line]
        self.current_set: tuple[str, str] | None = None
        self.starts: dict[str, Callable[..., None]] = {}
        self.ends: dict[str, Callable[..., None]] = {}

    def share(self, value: str | None) -> str | None:
        return None if value is None else self.shared.setdefault(value, value)

    def parent(self, depth: int = 2) -> str:
        return self.names[-depth] if len(self.names) >= depth else ""

    # ---------------------------------------------------------------- start handlers

    def _start_Coding(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "PlainTextSelection" and self.sel_index >= 0:
            self.in_coding = True
            self.cod = [guid or "", self.share(el.get("creatingUser")), None, el.sourceline or 0]
        else:
            self.p.ignored_codings += 1

    def _start_CodeRef(self, el: Any, guid: str | None, parent: str) -> None:
        target = el.get("targetGUID") or ""
        if parent == "Coding" and self.in_coding:
            if self.cod[2] is not None:
                self.problems.append(
                    f"Coding {self.cod[0]} (line {el.sourceline}) has more than one CodeRef"
                )
            self.cod[2] = self.share(target)
        else:
            owner = self.guids[-2] if len(self.guids) > 1 else None
            self.p.refs.append(("code", parent, owner or "?", target, el.sourceline or 0))

    def _start_PlainTextSelection(self, el: Any, guid: str | None, parent: str) -> None:
        if parent != "TextSource" or self.src_index < 0:
            return
        p = self.p
        self.sel_index = len(p.sel_guid)
        line = el.sourceline or 0
        p.sel_source.append(self.src_index)
        p.sel_guid.append(guid or "")
        p.sel_user.append(self.share(el.get("creatingUser")))
        p.sel_line.append(line)
        p.sources[self.src_index]["selections"].append(self.sel_index)
        valid = True
        positions = []
        for attr in ("startPosition", "endPosition"):
            raw = el.get(attr)
            value = _position(raw)
            if value is None:
                valid = False
                shown = "missing" if raw is None else quote(raw)
                self.problems.append(
                    f"PlainTextSelection {guid} (line {line}) has {attr} {shown}, not an "
                    "integer (or one too large to be a position in a text)"
                )
            positions.append(value or 0)
        if guid is None:
            valid = False
            self.problems.append(f"a PlainTextSelection (line {line}) has no guid attribute")
        p.sel_start.append(positions[0])
        p.sel_end.append(positions[1])
        p.sel_valid.append(1 if valid else 0)

    def _start_Code(self, el: Any, guid: str | None, parent: str) -> None:
        if parent not in ("Codes", "Code"):
            return
        if guid is None:
            self.problems.append(
                f"a Code (line {el.sourceline}) named {quote(el.get('name') or '')} "
                "has no guid attribute"
            )
            guid = ""
        codable = (el.get("isCodable") or "true").strip().lower()
        stack = self.code_stack
        self.p.codes.append(
            [
                guid,
                el.get("name") or "",
                stack[-1] if parent == "Code" and stack else "",
                codable not in ("false", "0"),
                el.get("color") or "",
            ]
        )
        stack.append(guid)

    def _start_TextSource(self, el: Any, guid: str | None, parent: str) -> None:
        if parent != "Sources":
            return
        if guid is None:
            self.problems.append(
                f"a TextSource (line {el.sourceline}) named {quote(el.get('name') or '')} "
                "has no guid attribute"
            )
        self.src_index = len(self.p.sources)
        self.p.sources.append(
            {
                "guid": guid or "",
                "name": el.get("name") or "",
                "path": el.get("plainTextPath"),
                "content": None,
                "line": el.sourceline or 0,
                "selections": [],
            }
        )

    def _start_other_source(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Sources" and guid is not None:
            self.p.other_source_guids.append(guid)

    def _start_User(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Users" and guid is not None:
            self.p.users.append((guid, el.get("name") or ""))

    def _start_Variable(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Variables" and guid is not None:
            self.p.variables.append(
                (guid, el.get("name") or "", el.get("typeOfVariable") or "Text")
            )

    def _start_Case(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Cases":
            self.case = {
                "guid": guid or "",
                "name": el.get("name") or "",
                "values": {},
                "sources": [],
                "selections": [],
                "line": el.sourceline or 0,
            }

    def _start_VariableValue(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Case" and self.case is not None:
            self.value_ref = [None, None, el.sourceline or 0]

    def _start_VariableRef(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "VariableValue" and self.value_ref is not None:
            self.value_ref[0] = el.get("targetGUID") or ""

    def _start_SourceRef(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Case" and self.case is not None:
            target = el.get("targetGUID") or ""
            self.case["sources"].append(target)
            self.p.refs.append(("source", "Case", self.case["guid"], target, el.sourceline or 0))

    def _start_SelectionRef(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Case" and self.case is not None:
            target = el.get("targetGUID") or ""
            self.case["selections"].append(target)
            self.p.refs.append(("selection", "Case", self.case["guid"], target, el.sourceline or 0))

    def _start_Project(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "":
            self.p.name = el.get("name") or ""
            self.p.origin = el.get("origin") or ""

    def _start_Set(self, el: Any, guid: str | None, parent: str) -> None:
        if parent == "Sets":
            self.current_set = (guid or "", el.get("name") or "")

    def _start_member(self, el: Any, guid: str | None, parent: str) -> None:
        if parent != "Set" or self.current_set is None:
            return
        target = el.get("targetGUID") or ""
        kind = self.names[-1][len("Member") :].lower()
        self.p.sets.append((self.current_set[0], self.current_set[1], kind, target))
        if kind != "note":
            self.p.refs.append((kind, "Set", self.current_set[0], target, el.sourceline or 0))

    # ---------------------------------------------------------------- end handlers

    def _end_Coding(self, el: Any) -> None:
        if self.in_coding:
            p, cod = self.p, self.cod
            p.cod_sel.append(self.sel_index)
            p.cod_guid.append(cod[0])
            p.cod_target.append(cod[2])
            p.cod_user.append(cod[1])
            p.cod_line.append(cod[3])
            self.in_coding = False
            if self.progress is not None and len(p.cod_guid) % 50_000 == 0:
                self.progress(len(p.cod_guid))

    def _end_PlainTextSelection(self, el: Any) -> None:
        if self.parent() == "TextSource":
            self.sel_index = -1

    def _end_Code(self, el: Any) -> None:
        if self.parent() in ("Codes", "Code") and self.code_stack:
            self.code_stack.pop()

    def _end_Description(self, el: Any) -> None:
        if len(self.names) > 1:
            owner_kind = self.names[-2]
            text = el.text or ""
            self.p.descriptions.append((owner_kind, self.guids[-2] or "", text))
            if owner_kind == "Code" and self.code_stack:
                self.p.code_descriptions[self.code_stack[-1]] = text

    def _end_PlainTextContent(self, el: Any) -> None:
        if self.parent() == "TextSource" and self.src_index >= 0:
            self.p.sources[self.src_index]["content"] = el.text or ""

    def _end_value(self, el: Any) -> None:
        if self.parent() == "VariableValue" and self.value_ref:
            self.value_ref[1] = el.text or ""

    def _end_VariableValue(self, el: Any) -> None:
        if self.value_ref is not None and self.case is not None:
            if self.value_ref[0]:
                self.case["values"][self.value_ref[0]] = (self.value_ref[1], self.value_ref[2])
            self.value_ref = None

    def _end_Case(self, el: Any) -> None:
        if self.case is not None and self.parent() == "Cases":
            self.p.cases.append(self.case)
            self.case = None

    def _end_TextSource(self, el: Any) -> None:
        if self.parent() == "Sources":
            self.src_index = -1

    def _end_Set(self, el: Any) -> None:
        self.current_set = None

    # ---------------------------------------------------------------- dispatch

    def handlers(self, name: str) -> tuple[Callable[..., None] | None, Callable[..., None] | None]:
        """The (start, end) handlers of an element, by local name."""
        if name in SOURCE_ELEMENTS and name != "TextSource":
            return self._start_other_source, None
        if name in ("MemberCode", "MemberSource", "MemberNote"):
            return self._start_member, None
        if name in VALUE_ELEMENTS:
            return None, self._end_value
        return getattr(self, f"_start_{name}", None), getattr(self, f"_end_{name}", None)

    def run(self, stream: IO[bytes]) -> Parsed:
        """Stream the document; raise ``etree.XMLSyntaxError`` if it is not well-formed."""
        local: dict[str, tuple[str, Any, Any]] = {}
        p, names, guids = self.p, self.names, self.guids
        context = etree.iterparse(
            stream,
            events=("start", "end"),
            **SAFE_XML,
            remove_comments=True,
            remove_pis=True,
        )
        for event, el in context:
            entry = local.get(el.tag)
            if entry is None:
                name = el.tag.rpartition("}")[2]
                entry = local[el.tag] = (name, *self.handlers(name))
            name, start, end = entry
            if event == "start":
                parent = names[-1] if names else ""
                names.append(name)
                guid = el.get("guid")
                guids.append(guid)
                if guid is not None:
                    p.guid_values.append(guid)
                    p.guid_kinds.append(name)
                    p.guid_lines.append(el.sourceline or 0)
                if start is not None:
                    start(el, guid, parent)
                continue
            if end is not None:
                end(el)
            names.pop()
            guids.pop()
            el.clear()
            parent_el = el.getparent()
            if parent_el is not None:
                while el.getprevious() is not None:
                    del parent_el[0]
        return p


def parse_qde(
    stream: IO[bytes], problems: list[str], progress: Callable[[int], None] | None = None
) -> Parsed | None:
    """Stream project.qde once, collecting rows; None if the XML is not well-formed.

    ``progress`` (if given) is called with the number of codings read so far, every 50,000,
    and once at the end.
    """
    try:
        parsed = _QdeParser(problems, progress).run(stream)
        if progress is not None:
            progress(len(parsed.cod_guid))
        return parsed
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        message = re.sub(r",? line \d+, column \d+\s*$", "", exc.msg or str(exc))
        problems.append(
            f"{QDE_MEMBER} is not well-formed XML: {message} (line {line}, column {column})"
        )
        return None


def schema_problems(zf: zipfile.ZipFile, qde: zipfile.ZipInfo) -> list[str]:
    """Validate project.qde against the bundled XSD; one message per error, with lines.

    Why two passes: libxml2 validates while streaming (cheap in memory, so a valid
    500,000-coding project never becomes a tree) but reports line 0 for every error
    found that way; only when the stream is invalid is the file parsed again into a tree
    and validated there, which gives line numbers. A file that is not well-formed is left
    to the main pass to report.
    """
    schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))
    with zf.open(qde) as stream:
        context = etree.iterparse(
            stream,
            events=("end",),
            schema=schema,
            **SAFE_XML,
        )
        try:
            for _, el in context:
                el.clear()
                parent = el.getparent()
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
            return []
        except etree.XMLSyntaxError as exc:
            streamed = [str(e.message) for e in exc.error_log] or [str(exc)]
    parser = etree.XMLParser(**SAFE_XML)
    with zf.open(qde) as stream:
        try:
            tree = etree.parse(stream, parser)
        except etree.XMLSyntaxError:
            return []
    if schema.validate(tree):  # pragma: no cover - the streaming pass said otherwise
        return [f"{QDE_MEMBER}: schema error: {m}" for m in streamed]
    return [
        f"{QDE_MEMBER} line {err.line}"
        + (f", column {err.column}" if err.column else "")
        + f": schema error: {err.message}"
        for err in schema.error_log
    ]
