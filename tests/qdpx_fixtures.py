"""Build REFI-QDA (.qdpx) fixture projects at test time, one per tool quirk.

Why in code: binary fixtures cannot be reviewed in a diff and would hide which quirk they
exercise. Each builder writes a small, hand-assembled ``project.qde`` (not produced by
``analysis.qdpx.write_qdpx``, so the importer is not tested against its own exporter) and
returns the file together with the codings the importer must find: the offsets are
derived here from code-point spans with independent helpers (``utf16_units``,
``lf_units``), and the expected ``text`` is the span cut from the stored text.
"""

from __future__ import annotations

import codecs
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

PROJECT_NS = "urn:QDA-XML:project:1.0"
MAC_CODEBOOK_NS = "urn:QDA-XML:codebook:1:0"


def guid(n: int, *, upper: bool = False) -> str:
    """A readable, valid GUID numbered ``n`` (NVivo writes them in upper case)."""
    value = f"{n:08x}-abcd-4def-8abc-{n:012x}"
    return value.upper() if upper else value


def utf16_units(text: str, cp: int) -> int:
    """UTF-16 code units before code point ``cp`` (how NVivo 12 counts)."""
    return len(text[:cp].encode("utf-16-le")) // 2


def lf_units(text: str, cp: int) -> int:
    """Code points before ``cp`` once every CRLF counts as one character."""
    return cp - text[:cp].count("\r\n")


def span(text: str, fragment: str, occurrence: int = 0) -> tuple[int, int]:
    """Code-point span of the ``occurrence``-th ``fragment`` in ``text``."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(fragment, start + 1)
    return start, start + len(fragment)


@dataclass
class Coding:
    """One Coding child: its guid, the code it points to and the creating user."""

    guid: str
    code: str
    user: str | None = None


@dataclass
class Selection:
    """A PlainTextSelection as written (``start``/``end`` in the file's convention)."""

    guid: str
    start: int
    end: int
    codings: list[Coding]
    user: str | None = None


@dataclass
class Source:
    """A TextSource: where its text lives and how it is stored."""

    guid: str
    name: str
    text: str
    selections: list[Selection] = field(default_factory=list)
    plain_text_path: str | None = None  # default internal://<guid>.txt
    member: str | None = None  # zip member; default sources/<guid>.txt
    bom: bool = False
    inline: bool = False  # PlainTextContent instead of a file


@dataclass
class Code:
    """A Code of the codebook; ``codable=None`` leaves ``isCodable`` out."""

    guid: str
    name: str
    codable: bool | None = True
    children: list[Code] = field(default_factory=list)
    description: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class Fixture:
    """A built fixture: the file, the expected codings rows and the offsets convention."""

    path: Path
    codings: list[tuple[str, str, int, int, str, str, str]]
    conventions: Mapping[str, str] = field(default_factory=dict)
    overruled: tuple[str, ...] = ()  # sources read against the origin's default (warned)


def _code_xml(code: Code, depth: int = 0) -> str:
    attrs = f"guid={quoteattr(code.guid)} name={quoteattr(code.name)}"
    if code.codable is not None:
        attrs += f' isCodable="{"true" if code.codable else "false"}"'
    if code.color:
        attrs += f" color={quoteattr(code.color)}"
    inner = ""
    if code.description is not None:
        inner += f"<Description>{escape(code.description)}</Description>"
    inner += "".join(_code_xml(c, depth + 1) for c in code.children)
    pad = "  " * depth
    return f"{pad}<Code {attrs}>{inner}</Code>\n" if inner else f"{pad}<Code {attrs}/>\n"


def project_xml(
    *,
    origin: str | None,
    users: Sequence[tuple[str, str | None]] = (),
    codes: Sequence[Code] = (),
    sources: Sequence[Source] = (),
    variables: str = "",
    cases: str = "",
    notes: str = "",
    sets: str = "",
    codebook_ns: str | None = None,
) -> str:
    """Assemble a project.qde in schema order from the parts given."""
    head = f'<Project xmlns="{PROJECT_NS}" name="fixture"'
    if origin is not None:
        head += f" origin={quoteattr(origin)}"
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n', head + ">\n"]
    if users:
        parts.append("<Users>\n")
        for uid, name in users:
            name_attr = f" name={quoteattr(name)}" if name is not None else ""
            parts.append(f'  <User guid="{uid}"{name_attr}/>\n')
        parts.append("</Users>\n")
    if codes:
        ns = f' xmlns="{codebook_ns}"' if codebook_ns else ""
        parts.append(f"<CodeBook{ns}>\n<Codes>\n")
        parts.extend(_code_xml(c, 1) for c in codes)
        parts.append("</Codes>\n</CodeBook>\n")
    parts.append(variables)
    parts.append(cases)
    if sources:
        parts.append("<Sources>\n")
        for src in sources:
            attrs = f"guid={quoteattr(src.guid)} name={quoteattr(src.name)}"
            if not src.inline:
                path = src.plain_text_path or f"internal://{src.guid}.txt"
                attrs += f" plainTextPath={quoteattr(path)}"
            parts.append(f"<TextSource {attrs}>\n")
            if src.inline:
                parts.append(f"  <PlainTextContent>{escape(src.text)}</PlainTextContent>\n")
            for sel in src.selections:
                user = f' creatingUser="{sel.user}"' if sel.user else ""
                parts.append(
                    f'  <PlainTextSelection guid="{sel.guid}" startPosition="{sel.start}" '
                    f'endPosition="{sel.end}"{user}>\n'
                )
                for c in sel.codings:
                    cu = f' creatingUser="{c.user}"' if c.user else ""
                    parts.append(
                        f'    <Coding guid="{c.guid}"{cu}><CodeRef targetGUID="{c.code}"/>'
                        "</Coding>\n"
                    )
                parts.append("  </PlainTextSelection>\n")
            parts.append("</TextSource>\n")
        parts.append("</Sources>\n")
    parts.append(notes)
    parts.append(sets)
    parts.append("</Project>\n")
    return "".join(parts)


def write_archive(
    path: Path,
    members: Mapping[str, bytes | str],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """Write ``members`` (in order) into a zip at ``path``."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


def source_members(sources: Sequence[Source], folder: str = "sources") -> dict[str, bytes]:
    """Zip members holding the text of every non-inline source."""
    members = {}
    for src in sources:
        if src.inline:
            continue
        data = src.text.encode("utf-8")
        if src.bom:
            data = codecs.BOM_UTF8 + data
        members[src.member or f"{folder}/{src.guid}.txt"] = data
    return members


def build(
    path: Path,
    sources: Sequence[Source],
    *,
    folder: str = "sources",
    extra: Mapping[str, bytes | str] | None = None,
    **project: object,
) -> Path:
    """Write a complete .qdpx: project.qde first, then the source files."""
    xml = project_xml(sources=sources, **project)  # type: ignore[arg-type]
    members: dict[str, bytes | str] = {"project.qde": xml}
    members.update(source_members(sources, folder))
    members.update(extra or {})
    return write_archive(path, members)


def _rows(
    sources: Sequence[Source],
    cp_spans: Mapping[str, tuple[int, int]],
    users: Mapping[str, str],
) -> list[tuple[str, str, int, int, str, str, str]]:
    """Expected codings rows: the text is cut from code-point spans, not from offsets."""
    rows = []
    for src in sources:
        for sel in src.selections:
            s, e = cp_spans[sel.guid]
            for c in sel.codings:
                user = c.user or sel.user or ""
                rows.append(
                    (
                        sel.guid,
                        src.name,
                        sel.start,
                        sel.end,
                        src.text[s:e],
                        c.code,
                        users.get(user, user),
                    )
                )
    return rows


# --------------------------------------------------------------------------------------
# one fixture per quirk
# --------------------------------------------------------------------------------------


def nvivo(tmp: Path) -> Fixture:
    """NVivo 12 for Windows: UTF-16 offsets over CRLF text with a BOM and emoji, ``Sources/``.

    The last selection ends at the very end of the text, which only fits in UTF-16 units;
    other selections follow emoji, so code-point slicing would cut the wrong text.
    """
    text = (
        "Intervjuer: Hva betyr likepersonsarbeidet for deg?\r\n"
        "Deltaker: Det gir håp 🙂 og mening, ærlig talt.\r\n"
        "Jeg føler meg nyttig – også på dårlige dager 💪🏽.\r\n"
        "Intervjuer: Takk 🙏\r\n"
    )
    second = "Fokusgruppe 2\r\nLikepersonen ble en bro mellom oss og personalet.\r\n"
    user_a, user_b = guid(1, upper=True), guid(2, upper=True)
    c_hope, c_use, c_bridge = guid(11, upper=True), guid(12, upper=True), guid(13, upper=True)
    spans = {
        guid(101, upper=True): span(text, "håp 🙂 og mening"),
        guid(102, upper=True): span(text, "Jeg føler meg nyttig – også på dårlige dager 💪🏽."),
        guid(103, upper=True): span(text, "ærlig talt.\r\nJeg føler"),
        guid(104, upper=True): span(text, "Takk 🙏\r\n"),
        guid(105, upper=True): span(second, "bro mellom oss og personalet"),
    }
    assert spans[guid(104, upper=True)][1] == len(text)

    def sel(n: int, t: str, codings: list[Coding]) -> Selection:
        s, e = spans[guid(n, upper=True)]
        return Selection(guid(n, upper=True), utf16_units(t, s), utf16_units(t, e), codings)

    src1 = Source(
        guid(21, upper=True),
        "Intervju 01",
        text,
        [
            sel(101, text, [Coding(guid(201, upper=True), c_hope, user_a)]),
            sel(102, text, [Coding(guid(202, upper=True), c_use, user_a)]),
            sel(103, text, [Coding(guid(203, upper=True), c_use, user_b)]),
            sel(104, text, [Coding(guid(204, upper=True), c_hope, user_b)]),
        ],
        bom=True,
    )
    src2 = Source(
        guid(22, upper=True),
        "Fokusgruppe 02",
        second,
        [sel(105, second, [Coding(guid(205, upper=True), c_bridge, user_a)])],
        bom=True,
    )
    users = {user_a: "Anne Forsker", user_b: "Bjørn Koder"}
    codes = [
        Code(guid(10, upper=True), "Mening", True, [Code(c_hope, "Håp"), Code(c_use, "Nytte")]),
        Code(c_bridge, "Brobygging"),
    ]
    path = build(
        tmp / "nvivo12.qdpx",
        [src1, src2],
        folder="Sources",
        origin="NVivo 12 Pro",
        users=list(users.items()),
        codes=codes,
    )
    return Fixture(
        path,
        _rows([src1, src2], spans, users),
        {src1.guid: "utf16/crlf", src2.guid: "utf16/crlf"},
    )


def maxqda(tmp: Path) -> Fixture:
    """MAXQDA: ``sources/`` folder, code-point offsets, document variables as Cases.

    A selection starts right after an emoji: in UTF-16 units that position would split the
    surrogate pair, so code points are the only convention that fits without splitting.
    """
    text = "Deltaker 3: Før var jeg pasient 😔 nå er jeg kollega.\nDet er stort for meg.\n"
    text2 = "Deltaker 5: Vi ble tatt på alvor.\r\nLedelsen støttet oss.\r\n"
    coder = guid(1)
    c_role, c_support = guid(11), guid(12)
    spans = {
        guid(101): span(text, " nå er jeg kollega."),
        guid(102): span(text, "Før var jeg pasient 😔"),
        guid(103): span(text2, "Ledelsen støttet oss."),
    }

    def sel(n: int, codings: list[Coding]) -> Selection:
        s, e = spans[guid(n)]
        return Selection(guid(n), s, e, codings)

    src1 = Source(guid(21), "P03 intervju", text, [sel(101, [Coding(guid(201), c_role, coder)])])
    src1.selections.append(sel(102, [Coding(guid(202), c_role, coder)]))
    src2 = Source(
        guid(22),
        "P05 intervju",
        text2,
        [sel(103, [Coding(guid(203), c_support, coder)])],
        plain_text_path=f"sources/{guid(22)}.txt",
    )
    variables = (
        "<Variables>\n"
        f'  <Variable guid="{guid(31)}" name="rolle" typeOfVariable="Text"/>\n'
        f'  <Variable guid="{guid(32)}" name="fokusgruppe" typeOfVariable="Integer"/>\n'
        f'  <Variable guid="{guid(33)}" name="erfaring_år" typeOfVariable="Float"/>\n'
        "</Variables>\n"
    )

    def value(var: int, kind: str, v: str) -> str:
        return (
            f'<VariableValue><VariableRef targetGUID="{guid(var)}"/>'
            f"<{kind}Value>{v}</{kind}Value></VariableValue>"
        )

    cases = (
        "<Cases>\n"
        f'  <Case guid="{guid(42)}" name="P05">'
        + value(31, "Text", "leder")
        + value(32, "Integer", "2")
        + f'<SourceRef targetGUID="{guid(22)}"/></Case>\n'
        f'  <Case guid="{guid(41)}" name="P03">'
        + value(31, "Text", "likeperson")
        + value(32, "Integer", "1")
        + value(33, "Float", "4.5")
        + f'<SourceRef targetGUID="{guid(21)}"/><SourceRef targetGUID="{guid(22)}"/></Case>\n'
        "</Cases>\n"
    )
    users = {coder: "MK"}
    path = build(
        tmp / "maxqda.qdpx",
        [src1, src2],
        folder="sources",
        origin="MAXQDA 2022",
        users=list(users.items()),
        codes=[Code(c_role, "Rolleskifte"), Code(c_support, "Støtte fra ledelsen")],
        variables=variables,
        cases=cases,
    )
    return Fixture(
        path,
        _rows([src1, src2], spans, users),
        {src1.guid: "codepoint/crlf", src2.guid: "codepoint/crlf"},
    )


def atlas(tmp: Path) -> Fixture:
    """ATLAS.ti: nested codes under ``isCodable="false"`` groups, Sets, Notes, descriptions."""
    text = "Vi trenger flere likepersoner i teamet. Det handler om tillit.\n"
    coder = guid(1)
    g_org, g_rel = guid(10), guid(20)
    c_staff, c_trust, c_deep = guid(11), guid(21), guid(22)
    codes = [
        Code(
            g_org,
            "Organisering",
            False,
            [Code(c_staff, "Bemanning", True, description="Antall likepersoner", color="#FF8800")],
            description="Kodegruppe: organisatoriske forhold",
        ),
        Code(
            g_rel,
            "Relasjoner",
            False,
            [Code(c_trust, "Tillit", True, [Code(c_deep, "Dyp tillit")])],
        ),
    ]
    spans = {guid(101): span(text, "flere likepersoner i teamet"), guid(102): span(text, "tillit")}
    src = Source(
        guid(31),
        "Intervju A",
        text,
        [
            Selection(guid(101), *spans[guid(101)], [Coding(guid(201), c_staff, coder)]),
            Selection(
                guid(102),
                *spans[guid(102)],
                [Coding(guid(202), c_trust, coder), Coding(guid(203), c_deep, coder)],
            ),
        ],
    )
    notes = (
        f'<Notes>\n  <Note guid="{guid(51)}" name="Memo 1"><PlainTextContent>Husk å spørre om '
        "tillit.</PlainTextContent></Note>\n</Notes>\n"
    )
    sets = (
        "<Sets>\n"
        f'  <Set guid="{guid(61)}" name="Kjernekoder"><Description>Brukt i artikkel 2'
        f'</Description><MemberCode targetGUID="{c_staff}"/>'
        f'<MemberCode targetGUID="{c_trust}"/></Set>\n'
        f'  <Set guid="{guid(62)}" name="Dokumentgruppe 1">'
        f'<MemberSource targetGUID="{guid(31)}"/></Set>\n'
        "</Sets>\n"
    )
    users = {coder: "Atlas Bruker"}
    path = build(
        tmp / "atlas.qdpx",
        [src],
        origin="ATLAS.ti 23.2",
        users=list(users.items()),
        codes=codes,
        notes=notes,
        sets=sets,
    )
    return Fixture(path, _rows([src], spans, users), {src.guid: "codepoint/crlf"})


def qualcoder(tmp: Path) -> Fixture:
    """QualCoder: one selection carrying Codings from two coders (double coding).

    Also: a user without a name and a coding by a user who is not listed (both fall back
    to the guid), and a coding without ``creatingUser`` (falls back to the selection's).
    """
    text = "Jeg ble møtt som et menneske, ikke som en diagnose.\nDet var nytt.\n"
    ann, bob, nameless, ghost = guid(1), guid(2), guid(3), guid(4)
    c_seen, c_new = guid(11), guid(12)
    spans = {
        guid(101): span(text, "møtt som et menneske, ikke som en diagnose"),
        guid(102): span(text, "Det var nytt."),
        guid(103): span(text, "Jeg ble"),
    }
    src = Source(
        guid(31),
        "intervju_07.txt",
        text,
        [
            Selection(
                guid(101),
                *spans[guid(101)],
                [Coding(guid(201), c_seen, ann), Coding(guid(202), c_seen, bob)],
            ),
            Selection(
                guid(102),
                *spans[guid(102)],
                [
                    Coding(guid(203), c_new, ann),
                    Coding(guid(204), c_seen, bob),
                    Coding(guid(205), c_new, nameless),
                    Coding(guid(206), c_new, ghost),
                ],
            ),
            Selection(guid(103), *spans[guid(103)], [Coding(guid(207), c_new)], user=bob),
        ],
    )
    users = {ann: "AO", bob: "BK"}
    path = build(
        tmp / "qualcoder.qdpx",
        [src],
        origin="QualCoder 3.5",
        users=[(ann, "AO"), (bob, "BK"), (nameless, None)],
        codes=[Code(c_seen, "Sett som menneske"), Code(c_new, "Nytt")],
    )
    return Fixture(path, _rows([src], spans, users), {src.guid: "codepoint/crlf"})


def nvivo_mac_codebook(tmp: Path) -> Fixture:
    """NVivo for Mac: CodeBook in ``urn:QDA-XML:codebook:1:0``, inline PlainTextContent.

    Codes carry no ``isCodable`` (schema-invalid, tolerated without ``--validate``). The
    text is inline, so the XML parser has already turned line breaks into LF.
    """
    text = "Mac-intervju 🍎: Vi fikk egen lønnskode.\nDet betydde mye."
    coder = guid(1, upper=True)
    code = guid(11, upper=True)
    spans = {guid(101, upper=True): span(text, "Det betydde mye.")}
    s, e = spans[guid(101, upper=True)]
    sel = Selection(
        guid(101, upper=True),
        utf16_units(text, s),
        utf16_units(text, e),
        [Coding(guid(201, upper=True), code, coder)],
    )
    src = Source(guid(21, upper=True), "Mac intervju", text, [sel], inline=True)
    users = {coder: "Mac Bruker"}
    path = build(
        tmp / "nvivo_mac.qdpx",
        [src],
        origin="NVivo 14 (Mac)",
        users=list(users.items()),
        codes=[
            Code(guid(10, upper=True), "Anerkjennelse", None, [Code(code, "Lønn", None)]),
        ],
        codebook_ns=MAC_CODEBOOK_NS,
    )
    return Fixture(path, _rows([src], spans, users), {src.guid: "utf16/crlf"})


def lf_normalised(tmp: Path) -> Fixture:
    """An export that counts code points on text with CRLF normalised to LF.

    The first selection starts at the beginning of line 2: counted on LF text that is the
    position between CR and LF of the stored file, so only the LF convention fits cleanly.
    """
    text = "Linje en\r\nLinje to handler om håp\r\nLinje tre\r\n"
    coder = guid(1)
    code = guid(11)
    spans = {
        guid(101): span(text, "Linje to"),
        guid(102): span(text, "håp\r\nLinje tre"),
    }
    sels = [
        Selection(g, lf_units(text, s), lf_units(text, e), [Coding(guid(200 + i), code, coder)])
        for i, (g, (s, e)) in enumerate(spans.items())
    ]
    src = Source(guid(21), "linjer", text, sels)
    users = {coder: "LF"}
    path = build(
        tmp / "lf_normalised.qdpx",
        [src],
        origin="Generic exporter",
        users=list(users.items()),
        codes=[Code(code, "Håp")],
    )
    return Fixture(path, _rows([src], spans, users), {src.guid: "codepoint/lf"}, (src.guid,))


def shared_evidence(tmp: Path) -> Fixture:
    """No ``origin``; only one of two sources can tell UTF-16 units from code points.

    Source A ends a selection at its UTF-16 end (fits only UTF-16). Source B has an emoji
    before its selection and nothing that discriminates on its own; it must follow A.
    """
    text_a = "A: 🎉 fest\n"
    text_b = "B: 🚀 så startet vi likepersonsteamet\n"
    coder, code = guid(1), guid(11)
    spans = {guid(101): (0, len(text_a)), guid(102): span(text_b, "startet vi")}
    src_a = Source(
        guid(21),
        "A",
        text_a,
        [
            Selection(
                guid(101), 0, utf16_units(text_a, len(text_a)), [Coding(guid(201), code, coder)]
            )
        ],
    )
    s, e = spans[guid(102)]
    src_b = Source(
        guid(22),
        "B",
        text_b,
        [
            Selection(
                guid(102),
                utf16_units(text_b, s),
                utf16_units(text_b, e),
                [Coding(guid(202), code, coder)],
            )
        ],
    )
    users = {coder: "X"}
    path = build(
        tmp / "shared_evidence.qdpx",
        [src_a, src_b],
        origin=None,
        users=list(users.items()),
        codes=[Code(code, "Start")],
    )
    return Fixture(
        path,
        _rows([src_a, src_b], spans, users),
        {src_a.guid: "utf16/crlf", src_b.guid: "utf16/crlf"},
        (src_b.guid,),
    )


QUIRKS = {
    "nvivo": nvivo,
    "maxqda": maxqda,
    "atlas": atlas,
    "qualcoder": qualcoder,
    "nvivo_mac_codebook": nvivo_mac_codebook,
    "lf_normalised": lf_normalised,
    "shared_evidence": shared_evidence,
}


# --------------------------------------------------------------------------------------
# a small valid project to break in the error tests
# --------------------------------------------------------------------------------------

CODE = guid(11)
SOURCE = guid(21)
SELECTION = guid(101)
CODING = guid(201)
USER = guid(1)
TEXT = "Likepersonen forstod meg.\n"


def minimal(
    tmp: Path,
    name: str = "minimal.qdpx",
    *,
    start: int = 0,
    end: int = 12,
    code_ref: str = CODE,
    plain_text_path: str | None = None,
    include_source_file: bool = True,
    extra_sources: Sequence[Source] = (),
    extra_codes: Sequence[Code] = (),
    cases: str = "",
) -> Path:
    """A one-source, one-coding project with knobs for the error tests."""
    src = Source(
        SOURCE,
        "Intervju",
        TEXT,
        [Selection(SELECTION, start, end, [Coding(CODING, code_ref, USER)])],
        plain_text_path=plain_text_path,
    )
    sources = [src, *extra_sources]
    xml = project_xml(
        origin="fixture",
        users=[(USER, "Koder")],
        codes=[Code(CODE, "Forståelse"), *extra_codes],
        sources=sources,
        cases=cases,
    )
    members: dict[str, bytes | str] = {"project.qde": xml}
    if include_source_file:
        members.update(source_members(sources))
    return write_archive(tmp / name, members)
