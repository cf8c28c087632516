"""Post-processing of pandoc's DOCX: the synthetic-data banner.

Why: pandoc's docx writer always puts the title block first and has no page-header
option, so the notice is added to the finished document, keeping entry order, timestamps
and compression so that the bytes stay reproducible.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape as xml_escape

from analysis.render.common import RenderError

_BODY_OPEN = re.compile(rb"<w:body(?:\s[^>]*)?>")


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


def add_docx_banner(docx: bytes, text: str) -> bytes:
    """Insert the banner as the first paragraph of a DOCX.

    Pandoc's docx writer always emits the title block before any body content,
    so the banner is put in afterwards.  Entry order, timestamps and
    compression are kept, so the result stays byte-for-byte reproducible.
    """
    paragraph = docx_banner_paragraph(text).encode("utf-8")
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(docx)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                match = _BODY_OPEN.search(data)
                if match is None:
                    raise RenderError("DOCX has no <w:body>; cannot add the synthetic-data banner")
                data = data[: match.end()] + paragraph + data[match.end() :]
            target.writestr(info, data)
    return buffer.getvalue()
