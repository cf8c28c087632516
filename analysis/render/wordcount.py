"""Word counts of a document's main text, as journals and thesis regulations count them.

Why: a reader (and the author) must see how long each document is, and a journal's limit
counts the main text only: not the title, abstract, tables, figure captions, references or
appendices. The count reads the ``.qmd`` source with its generated values filled in, so it
is the same for every output format and needs no render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analysis.render.common import RenderError
from analysis.render.metadata import split_front_matter
from analysis.render.shortcodes import find_shortcodes, lookup_variable

#: Level-1 headings from which on nothing is main text (lower case, without attributes).
END_HEADINGS = (
    "references",
    "referanser",
    "bibliography",
    "acknowledgements",
    "acknowledgments",
    "appendix",
    "appendices",
    "supplementary",
    "vedlegg",
)

_FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1[ \t]*$", re.M | re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<text>.*?)[ \t]*(?:\{(?P<attrs>[^}]*)\})?[ \t]*$")
_CITATION_GROUP = re.compile(r"\[[^\[\]]*@[^\[\]]*\]")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)(\{[^}]*\})?")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SPAN_ATTRS = re.compile(r"\{[#.][^}]*\}")
_WORD = re.compile(r"[^\W_](?:[\w’'‐-]*[^\W_])?")


def _fill_variables(text: str, variables: Mapping[str, Any], source_name: str) -> str:
    """Replace ``var`` shortcodes by their values and drop every other shortcode."""
    pieces, position = [], 0
    for code in find_shortcodes(text, source_name=source_name):
        pieces.append(text[position : code.start])
        position = code.end
        if code.name == "var" and code.arguments and not code.escaped:
            try:
                pieces.append(lookup_variable(variables, code.arguments[0]))
            except (KeyError, TypeError):
                raise RenderError(
                    f"{source_name}:{code.line}: unknown variable '{code.arguments[0]}'"
                ) from None
    pieces.append(text[position:])
    return "".join(pieces)


def _is_end(line: str) -> bool:
    match = _HEADING.match(line)
    if match is None or len(match.group(1)) != 1:
        return False
    attrs = match.group("attrs") or ""
    if ".appendix" in attrs:
        return True
    return match.group("text").strip().lower().startswith(END_HEADINGS)


def main_text(body: str) -> str:
    """The main text of a document body: up to the references or appendices, without
    code and raw blocks, tables, table captions, figures, div fences and citations."""
    body = _COMMENT.sub("", _FENCE.sub("", body))
    kept: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if _is_end(stripped) or stripped.startswith("::: {#refs"):
            break
        if stripped.startswith(("|", ":::", ": ", "+-")):
            continue  # pipe/grid tables, table captions, div fences
        heading = _HEADING.match(stripped)
        kept.append(heading.group("text") if heading else line)
    text = "\n".join(kept)
    text = _IMAGE.sub(" ", text)
    text = _CITATION_GROUP.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    return _SPAN_ATTRS.sub(" ", text)


def count_words(text: str) -> int:
    """Words: runs of letters and digits, inner hyphens and apostrophes kept."""
    return len(_WORD.findall(text))


def word_count(qmd: str, variables: Mapping[str, Any], source_name: str = "index.qmd") -> int:
    """Words of main text in a ``.qmd`` source, generated values filled in."""
    _, body, _ = split_front_matter(qmd)
    return count_words(main_text(_fill_variables(body, variables, source_name)))
