"""Names every part of the render engine shares: formats, engines, the banner, the error.

Why a module of its own: the Quarto-compatibility layer, the pandoc+typst engine, the Quarto
engine and the entry point all need these, and each must be defined exactly once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Format = Literal["html", "pdf", "docx"]
Engine = Literal["auto", "pandoc", "quarto"]

FORMATS: tuple[str, ...] = ("html", "pdf", "docx")
ENGINES: tuple[str, ...] = ("auto", "pandoc", "quarto")

BANNER_TEXT = (
    "SYNTHETIC DATA — every number, table and figure in this document is computed from "
    "synthetic records generated to match the published facts; it is not the authors' data."
)

#: The running notice on every PDF page and in the DOCX page header (the banner's short form).
NOTICE_TEXT = "SYNTHETIC DATA — not the authors' data"

#: The Lua filter that shows the synthetic-data notice (staged for Quarto).
BANNER_FILTER = "synthetic_banner.lua"

FILTER_DIR = Path(__file__).resolve().parent.parent / "filters"

#: Used when neither SOURCE_DATE_EPOCH nor a document date is available.  Zip
#: archives (DOCX) cannot store dates before 1980, hence not 0.
DEFAULT_EPOCH = 315_532_800  # 1980-01-01T00:00:00Z

PANDOC_WRITERS: dict[str, str] = {"html": "html5", "pdf": "typst", "docx": "docx"}
QUARTO_FORMATS: dict[str, str] = {"html": "html", "pdf": "typst", "docx": "docx"}
OUTPUT_SUFFIXES: dict[str, str] = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}


class RenderError(ValueError):
    """A document cannot be rendered as written (bad source, missing input, tool failure)."""
