"""Post-processing of pandoc's DOCX: the synthetic-data banner and page header.

Why: pandoc's docx writer always puts the title block first and writes no page header
(a reference DOCX would have to be a binary file kept in sync with pandoc's), so the
banner and a running header carrying the notice are added to the finished document,
keeping entry order, timestamps and compression so that the bytes stay reproducible.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape as xml_escape

from analysis.render.common import RenderError

_BODY_OPEN = re.compile(rb"<w:body(?:\s[^>]*)?>")
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HEADER_ID = "rIdSyntheticHeader"


def docx_banner_paragraph(text: str) -> str:
    """WordprocessingML for a bold paragraph on yellow with a red border."""
    border = 'w:val="single" w:sz="12" w:space="4" w:color="B00020"'
    return (
        "<w:p><w:pPr><w:pBdr>"
        f"<w:top {border}/><w:left {border}/><w:bottom {border}/><w:right {border}/>"
        '</w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="FFF3B0"/>'
        '<w:spacing w:before="0" w:after="240"/></w:pPr>'
        '<w:r><w:rPr><w:b/><w:color w:val="000000"/></w:rPr>'
        f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r></w:p>'
    )


def docx_header_part(text: str) -> str:
    """``word/header1.xml``: one centred, bold, red paragraph with ``text``."""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:hdr xmlns:w="{_W}" xmlns:r="{_R}"><w:p><w:pPr><w:jc w:val="center"/></w:pPr>'
        '<w:r><w:rPr><w:b/><w:color w:val="B00020"/><w:sz w:val="16"/></w:rPr>'
        f'<w:t xml:space="preserve">{xml_escape(text)}</w:t></w:r></w:p></w:hdr>'
    )


def _with_banner(data: bytes, paragraph: bytes) -> bytes:
    match = _BODY_OPEN.search(data)
    if match is None:
        raise RenderError("DOCX has no <w:body>; cannot add the synthetic-data banner")
    return data[: match.end()] + paragraph + data[match.end() :]


def _with_header_reference(data: bytes) -> bytes:
    """Reference the header from the document's last (only) section properties."""
    reference = f'<w:headerReference w:type="default" r:id="{_HEADER_ID}"/>'.encode()
    position = data.rfind(b"<w:sectPr")
    if position < 0:
        return data.replace(b"</w:body>", b"<w:sectPr>" + reference + b"</w:sectPr></w:body>")
    end = data.index(b">", position)
    if data[end - 1 : end] == b"/":  # <w:sectPr/>
        return data[:position] + b"<w:sectPr>" + reference + b"</w:sectPr>" + data[end + 1 :]
    return data[: end + 1] + reference + data[end + 1 :]


def _with_header_relationship(data: bytes) -> bytes:
    relationship = (
        f'<Relationship Id="{_HEADER_ID}" Type="{_R}/header" Target="header1.xml"/>'
    ).encode()
    return data.replace(b"</Relationships>", relationship + b"</Relationships>")


def _with_header_content_type(data: bytes) -> bytes:
    override = (
        b'<Override PartName="/word/header1.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
    )
    return data.replace(b"</Types>", override + b"</Types>")


def add_docx_banner(docx: bytes, text: str, header: str | None = None) -> bytes:
    """Insert the banner as the first paragraph of a DOCX, and ``header`` as page header.

    Pandoc's docx writer always emits the title block before any body content,
    so the banner is put in afterwards; the header part (``word/header1.xml``)
    is added after ``word/document.xml``.  Entry order, timestamps and
    compression are kept, so the result stays byte-for-byte reproducible.
    """
    paragraph = docx_banner_paragraph(text).encode("utf-8")
    edits = {
        "word/document.xml": lambda data: _with_banner(data, paragraph),
        "word/_rels/document.xml.rels": _with_header_relationship,
        "[Content_Types].xml": _with_header_content_type,
    }
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        if header is not None and "word/header1.xml" in source.namelist():
            raise RenderError("DOCX already has a page header; cannot add the notice")
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = edits[info.filename](data)
                if header is not None:
                    data = _with_header_reference(data)
                target.writestr(info, data)
                if header is not None:
                    part = zipfile.ZipInfo("word/header1.xml", date_time=info.date_time)
                    part.compress_type = info.compress_type
                    target.writestr(part, docx_header_part(header).encode("utf-8"))
                continue
            if header is not None and info.filename in edits:
                data = edits[info.filename](data)
            target.writestr(info, data)
    return buffer.getvalue()
