"""Render a staged Quarto project to self-contained HTML, PDF and DOCX.

Why this module exists: the manuscripts are Quarto (``.qmd``) sources, but the
Quarto CLI cannot be installed on every machine that rebuilds the compendium.
When ``quarto`` is on ``PATH`` it is used as is.  Otherwise the same sources are
rendered with the engines Quarto itself wraps: pandoc (from ``pypandoc-binary``)
for HTML and DOCX, and pandoc's typst writer plus the ``typst`` Python binding
for PDF.  The Quarto features the manuscripts rely on are re-implemented here
and in the Lua filters under ``analysis/filters``:

* ``{{< var a.b >}}``, ``{{< include path >}}`` and ``{{< pagebreak >}}``
  shortcodes (:func:`expand_shortcodes`),
* project metadata from ``_quarto.yml`` merged under the front matter,
* figure, table and section cross-references (``crossref.lua``, run before
  citeproc so that ``@fig-x`` never reaches it),
* citations through ``--citeproc`` with the staged bibliography and CSL,
* a banner for builds made from synthetic data (``synthetic_banner.lua`` for
  HTML and PDF, a post-processing step for DOCX).

Outputs are deterministic (``SOURCE_DATE_EPOCH`` for pandoc, a fixed creation
timestamp and only the fonts bundled with typst for the PDF) and are written
atomically, so a failed render never leaves a partial or half-updated file.

The staged project folder looks like this::

    _quarto.yml        project metadata (bibliography, csl, lang, format options)
    _variables.yml     values for {{< var ... >}}
    index.qmd          the document
    tables/*.md        pipe tables with a ": Caption {#tbl-x}" line
    figures/x.svg      figures, each also as figures/x.png for Word
    references.bib     bibliography
    apa.csl            citation style
    fonts/             optional extra fonts for the PDF
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

import yaml

from analysis.io import write_bytes

__all__ = [
    "BANNER_TEXT",
    "FORMATS",
    "ENGINES",
    "RenderError",
    "RenderSource",
    "Shortcode",
    "add_docx_banner",
    "check_pandoc_diagnostics",
    "compile_typst",
    "compose_markdown",
    "document_metadata",
    "docx_banner_paragraph",
    "expand_shortcodes",
    "find_shortcodes",
    "format_variable",
    "load_source",
    "locate_key",
    "lookup_variable",
    "main",
    "merge_metadata",
    "normalise_authors",
    "pandoc_arguments",
    "pandoc_metadata",
    "render",
    "render_with_pandoc",
    "render_with_quarto",
    "resolve_epoch",
    "split_front_matter",
]

logger = logging.getLogger(__name__)

Format = Literal["html", "pdf", "docx"]
Engine = Literal["auto", "pandoc", "quarto"]

FORMATS: tuple[str, ...] = ("html", "pdf", "docx")
ENGINES: tuple[str, ...] = ("auto", "pandoc", "quarto")

BANNER_TEXT = (
    "SYNTHETIC DATA — every number, table and figure in this document is computed from "
    "synthetic records generated to match the published facts; it is not the authors' data."
)

FILTER_DIR = Path(__file__).resolve().parent / "filters"

#: Used when neither SOURCE_DATE_EPOCH nor a document date is available.  Zip
#: archives (DOCX) cannot store dates before 1980, hence not 0.
DEFAULT_EPOCH = 315_532_800  # 1980-01-01T00:00:00Z

PANDOC_WRITERS: dict[str, str] = {"html": "html5", "pdf": "typst", "docx": "docx"}
QUARTO_FORMATS: dict[str, str] = {"html": "html", "pdf": "typst", "docx": "docx"}
OUTPUT_SUFFIXES: dict[str, str] = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}

#: Quarto format names whose options apply to each of our formats, in order of
#: increasing precedence (our PDF is made with typst, so typst options win).
FORMAT_ALIASES: dict[str, tuple[str, ...]] = {
    "html": ("html",),
    "pdf": ("pdf", "typst"),
    "docx": ("docx",),
}

#: Quarto configuration keys that mean nothing to pandoc's templates.
QUARTO_ONLY_KEYS = frozenset(
    {
        "book",
        "editor",
        "engine",
        "execute",
        "filters",
        "format",
        "freeze",
        "jupyter",
        "knitr",
        "manuscript",
        "project",
        "website",
    }
)

REFERENCE_TITLES: dict[str, str] = {
    "en": "References",
    "sv": "Referenser",
    "nb": "Referanser",
    "da": "Referencer",
    "de": "Literatur",
}

#: Extra CSS for the HTML output, on top of pandoc's default stylesheet
#: (which already limits the line length).  Embedded, so nothing is fetched.
#: The banner is styled inline by synthetic_banner.lua, so that it also shows
#: in Quarto's HTML, and non-synthetic builds carry no trace of it.
HTML_CSS = """\
<style>
body { max-width: 46em; }
table { border-collapse: collapse; margin: 1em auto; }
th, td { border: 1px solid #8c8c8c; padding: 0.25em 0.6em; }
thead th { background: #f2f2f2; }
caption, figcaption { text-align: left; font-size: 0.95em; margin: 0.5em 0; }
figure { margin: 1.5em 0; text-align: center; }
figure img, figure svg { max-width: 100%; height: auto; }
a.quarto-xref { text-decoration: none; }
</style>
"""

#: Typst set rules after pandoc's template.  Numbering is done by crossref.lua
#: (so all formats agree), hence typst's own figure numbering is switched off.
TYPST_HEADER = """\
#set figure(numbering: none)
#set table(stroke: 0.5pt + luma(140), inset: 5pt)
#show figure.where(kind: table): set block(breakable: true)
#show table.cell.where(y: 0): set text(weight: "bold")
#show link: set text(fill: rgb("#1a4f8b"))
"""

PAGEBREAK_MARKDOWN = """

```{=html}
<div style="page-break-after: always;"></div>
```

```{=typst}
#pagebreak()
```

```{=openxml}
<w:p><w:r><w:br w:type="page"/></w:r></w:p>
```

"""


class RenderError(ValueError):
    """A document cannot be rendered as written (bad source, missing input, tool failure)."""


# --------------------------------------------------------------------------- shortcodes

_SHORTCODE = re.compile(r"\{\{\{<\s*(?P<escaped>.*?)\s*>\}\}\}|\{\{<\s*(?P<body>.*?)\s*>\}\}")

#: ```{python} and friends: Quarto would execute these; we cannot.
_CODE_CELL = re.compile(r"^[ \t]*(?:`{3,}|~{3,})[ \t]*\{[ \t]*(?P<lang>[A-Za-z][\w-]*)", re.M)
_INLINE_CODE = re.compile(r"`\{(?P<lang>python|r|julia|ojs)\}\s[^`]*`")


@dataclass(frozen=True)
class Shortcode:
    """One ``{{< name args >}}`` occurrence; ``escaped`` for ``{{{< ... >}}}``."""

    name: str
    arguments: tuple[str, ...]
    line: int
    start: int
    end: int
    escaped: bool = False


def find_shortcodes(
    text: str, *, source_name: str = "<text>", first_line: int = 1
) -> list[Shortcode]:
    """List the shortcodes in ``text`` with their line numbers.

    ``first_line`` is the line number of the first line of ``text`` in its file,
    so that messages point at the right line when only the body is scanned.
    """
    found: list[Shortcode] = []
    for match in _SHORTCODE.finditer(text):
        line = first_line + text.count("\n", 0, match.start())
        escaped = match.group("escaped") is not None
        body = match.group("escaped") if escaped else match.group("body")
        try:
            words = shlex.split(body)
        except ValueError as exc:
            raise RenderError(
                f"{source_name}:{line}: cannot parse shortcode {match.group(0)!r}: {exc}"
            ) from exc
        if not words:
            raise RenderError(f"{source_name}:{line}: empty shortcode {match.group(0)!r}")
        found.append(
            Shortcode(
                name=words[0],
                arguments=tuple(words[1:]),
                line=line,
                start=match.start(),
                end=match.end(),
                escaped=escaped,
            )
        )
    return found


def format_variable(value: Any) -> str:
    """Text for a ``{{< var >}}`` value, spelled the way YAML/Quarto spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str | int | float):
        return str(value)
    raise TypeError(f"a {type(value).__name__}, not a single value")


def lookup_variable(variables: Mapping[str, Any], key: str) -> str:
    """Resolve a dotted key (``study.n_workers``) in nested variables.

    Raises ``KeyError`` for a missing key and ``TypeError`` when the key names a
    mapping, a list or null rather than a value.
    """
    node: Any = variables
    for part in key.split("."):
        if not isinstance(node, Mapping):
            raise KeyError(key)
        if part in node:
            node = node[part]
        elif part.isdigit() and int(part) in node:
            node = node[int(part)]
        else:
            raise KeyError(key)
    if node is None:
        raise TypeError("null")
    return format_variable(node)


def _reject_code_cells(text: str, source_name: str, first_line: int, note: str = "") -> None:
    """Fail on executable cells: without Quarto they would print as code, silently."""
    match = _CODE_CELL.search(text) or _INLINE_CODE.search(text)
    if match:
        line = first_line + text.count("\n", 0, match.start())
        raise RenderError(
            f"{source_name}:{line}{note}: executable code cell {{{match.group('lang')}}} is not "
            "supported; compute its output in the workflow and include the result"
        )


def expand_shortcodes(
    text: str,
    variables: Mapping[str, Any],
    base_dir: str | os.PathLike[str],
    source_name: str,
    *,
    first_line: int = 1,
    project_root: str | os.PathLike[str] | None = None,
    _include_chain: tuple[tuple[Path, str], ...] = (),
) -> str:
    """Expand Quarto's ``var``, ``include`` and ``pagebreak`` shortcodes.

    Includes are resolved relative to ``base_dir`` (``/path`` relative to
    ``project_root``, which defaults to ``base_dir``), recursively, with the
    shortcodes of included files expanded in turn.  ``{{{< ... >}}}`` yields
    the literal shortcode.  Any problem raises :class:`RenderError` naming the
    file, the line and the missing key or path, because a manuscript with a
    silently empty number is worse than no manuscript.
    """
    base = Path(base_dir)
    root = Path(project_root) if project_root is not None else base
    chain_note = "".join(f" (included from {where})" for _, where in reversed(_include_chain))
    _reject_code_cells(text, source_name, first_line, chain_note)

    pieces: list[str] = []
    position = 0
    for code in find_shortcodes(text, source_name=source_name, first_line=first_line):
        pieces.append(text[position : code.start])
        position = code.end
        where = f"{source_name}:{code.line}"
        if code.escaped:
            pieces.append(text[code.start + 1 : code.end - 1])
        elif code.name == "var":
            pieces.append(_expand_var(code, variables, where + chain_note))
        elif code.name == "include":
            pieces.append(
                _expand_include(code, variables, base, root, where, chain_note, _include_chain)
            )
        elif code.name == "pagebreak":
            pieces.append(PAGEBREAK_MARKDOWN)
        else:
            raise RenderError(
                f"{where}{chain_note}: unsupported shortcode '{code.name}' "
                "(the pandoc engine knows var, include and pagebreak)"
            )
    pieces.append(text[position:])
    return "".join(pieces)


def _expand_var(code: Shortcode, variables: Mapping[str, Any], where: str) -> str:
    if len(code.arguments) != 1:
        raise RenderError(f"{where}: the var shortcode takes exactly one key")
    key = code.arguments[0]
    try:
        return lookup_variable(variables, key)
    except KeyError:
        raise RenderError(f"{where}: unknown variable '{key}' (not in _variables.yml)") from None
    except TypeError as exc:
        raise RenderError(f"{where}: variable '{key}' is {exc}") from None


def _expand_include(
    code: Shortcode,
    variables: Mapping[str, Any],
    base: Path,
    root: Path,
    where: str,
    chain_note: str,
    chain: tuple[tuple[Path, str], ...],
) -> str:
    if len(code.arguments) != 1:
        raise RenderError(f"{where}{chain_note}: the include shortcode takes exactly one path")
    relative = code.arguments[0]
    target = root / relative.lstrip("/") if relative.startswith("/") else base / relative
    resolved = target.resolve()
    if not resolved.is_file():
        raise RenderError(f"{where}{chain_note}: included file '{relative}' not found")
    if any(resolved == seen for seen, _ in chain):
        raise RenderError(f"{where}{chain_note}: '{relative}' includes itself")
    try:
        name = resolved.relative_to(root.resolve()).as_posix()
    except ValueError:
        name = relative
    included = resolved.read_text(encoding="utf-8")
    return expand_shortcodes(
        included,
        variables,
        resolved.parent,
        name,
        project_root=root,
        _include_chain=(*chain, (resolved, where)),
    )


# --------------------------------------------------------------------------- metadata

_FRONT_MATTER = re.compile(
    r"\A---[ \t]*\r?\n(?P<yaml>.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M
)


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split a .qmd into (front matter YAML, body, line number of the body's first line)."""
    text = text.removeprefix("\ufeff")
    match = _FRONT_MATTER.match(text)
    if not match:
        return "", text, 1
    body_line = 1 + text.count("\n", 0, match.end())
    return match.group("yaml"), text[match.end() :], body_line


def _load_yaml(path: Path) -> dict[str, Any]:
    """A YAML mapping from ``path``; an absent file is an empty mapping (both are optional)."""
    if not path.is_file():
        return {}
    return _parse_yaml_mapping(path.read_text(encoding="utf-8"), path.name)


def _parse_yaml_mapping(text: str, source_name: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RenderError(f"{source_name}: invalid YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RenderError(f"{source_name}: expected a YAML mapping, got {type(data).__name__}")
    return data


def _deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge mappings recursively; values of ``override`` win, lists are replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _format_options(config: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    formats = config.get("format")
    options: dict[str, Any] = {}
    if isinstance(formats, Mapping):
        for name in FORMAT_ALIASES[fmt]:
            value = formats.get(name)
            if isinstance(value, Mapping):
                options = _deep_merge(options, value)
    return options


def merge_metadata(
    project_config: Mapping[str, Any], front_matter: Mapping[str, Any], fmt: str
) -> dict[str, Any]:
    """Merge metadata the way Quarto does for one output format.

    Precedence, lowest first: ``_quarto.yml`` top level, its ``format.<fmt>``
    options, the document's front matter, the document's ``format.<fmt>``.
    ``filters`` lists are concatenated (project filters run first).
    """
    layers = (
        project_config,
        _format_options(project_config, fmt),
        front_matter,
        _format_options(front_matter, fmt),
    )
    merged: dict[str, Any] = {}
    filters: list[Any] = []
    for layer in layers:
        layer_filters = layer.get("filters")
        if isinstance(layer_filters, list):
            filters.extend(f for f in layer_filters if f not in filters)
        merged = _deep_merge(merged, {k: v for k, v in layer.items() if k != "filters"})
    for key in ("format", "project"):
        merged.pop(key, None)
    if filters:
        merged["filters"] = filters
    return merged


def document_metadata(project_dir: Path, fmt: str, source: str = "index.qmd") -> dict[str, Any]:
    """Merged metadata without shortcode expansion (enough to find the date)."""
    path = project_dir / source
    if not path.is_file():
        raise RenderError(f"{source} not found in the project folder {project_dir.name}/")
    yaml_text, _, _ = split_front_matter(path.read_text(encoding="utf-8"))
    front_matter = _parse_yaml_mapping(yaml_text, source)
    return merge_metadata(_load_yaml(project_dir / "_quarto.yml"), front_matter, fmt)


@dataclass(frozen=True)
class RenderSource:
    """A staged project after shortcode expansion and metadata merging."""

    project_dir: Path
    metadata: dict[str, Any]
    body: str
    source_name: str


def _map_strings(value: Any, function: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [_map_strings(item, function) for item in value]
    if isinstance(value, dict):
        return {key: _map_strings(item, function) for key, item in value.items()}
    return value


def load_source(
    project_dir: str | os.PathLike[str], fmt: str, source: str = "index.qmd"
) -> RenderSource:
    """Read a staged project: expand shortcodes and merge ``_quarto.yml`` for ``fmt``."""
    project = Path(project_dir)
    if not project.is_dir():
        raise RenderError(f"project folder {project} does not exist")
    path = project / source
    if not path.is_file():
        raise RenderError(f"{source} not found in the project folder {project.name}/")
    config = _load_yaml(project / "_quarto.yml")
    variables = _load_yaml(project / "_variables.yml")
    yaml_text, body, body_line = split_front_matter(path.read_text(encoding="utf-8"))

    def expand(text: str, first_line: int) -> str:
        return expand_shortcodes(text, variables, project, source, first_line=first_line)

    # Expand the raw front matter once only to report errors with file line
    # numbers; the values are expanded after parsing, so that a substituted
    # value can never break the YAML syntax.
    expand(yaml_text, 2)
    front_matter = _parse_yaml_mapping(yaml_text, source)
    front_matter = _map_strings(front_matter, lambda text: expand(text, 2))
    return RenderSource(
        project_dir=project,
        metadata=merge_metadata(config, front_matter, fmt),
        body=expand(body, body_line),
        source_name=source,
    )


def _meta_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def resolve_epoch(
    explicit: int | None, environ: Mapping[str, str], metadata: Mapping[str, Any]
) -> int:
    """The build timestamp: explicit > $SOURCE_DATE_EPOCH > document date > 1980-01-01."""
    if explicit is not None:
        return int(explicit)
    env_value = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env_value:
        try:
            return int(env_value)
        except ValueError:
            raise RenderError(f"SOURCE_DATE_EPOCH={env_value!r} is not an integer") from None
    date = _meta_date(metadata.get("date"))
    if date is not None:
        epoch = int(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp())
        return max(epoch, DEFAULT_EPOCH)
    return DEFAULT_EPOCH


def _person_name(value: Any) -> str:
    if isinstance(value, Mapping):
        if "literal" in value:
            return str(value["literal"])
        parts = [str(value[k]) for k in ("given", "family") if value.get(k)]
        return " ".join(parts)
    return "" if value is None else str(value)


def _affiliation_names(author: Mapping[str, Any], registry: Mapping[str, str]) -> list[str]:
    raw = author.get("affiliations", author.get("affiliation", []))
    entries = raw if isinstance(raw, list) else [raw]
    names: list[str] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            if "ref" in entry:
                names.append(registry.get(str(entry["ref"]), str(entry["ref"])))
            elif "name" in entry:
                names.append(str(entry["name"]))
        elif entry is not None:
            names.append(registry.get(str(entry), str(entry)))
    return names


def normalise_authors(metadata: Mapping[str, Any], fmt: str) -> list[Any] | None:
    """Quarto's rich ``author`` entries in the shape pandoc's templates expect.

    The typst template reads ``name``/``affiliation``/``email``; the HTML and
    DOCX writers want plain names (a mapping would print as nothing).
    """
    raw = metadata.get("author", metadata.get("authors"))
    if raw is None:
        return None
    entries = raw if isinstance(raw, list) else [raw]
    registry: dict[str, str] = {}
    for item in metadata.get("affiliations") or []:
        if isinstance(item, Mapping) and "id" in item:
            registry[str(item["id"])] = str(item.get("name", item["id"]))
    authors: list[Any] = []
    for entry in entries:
        if isinstance(entry, Mapping):
            name = _person_name(entry.get("name", entry))
            affiliation = "; ".join(_affiliation_names(entry, registry))
            email = str(entry.get("email", "") or "")
        else:
            name, affiliation, email = _person_name(entry), "", ""
        if fmt == "pdf":
            authors.append({"name": name, "affiliation": affiliation, "email": email})
        else:
            authors.append(name)
    return authors


def pandoc_metadata(source: RenderSource, fmt: str, epoch: int) -> dict[str, Any]:
    """The metadata block handed to pandoc (Quarto-only keys removed, defaults set)."""
    meta = {k: v for k, v in source.metadata.items() if k not in QUARTO_ONLY_KEYS}
    meta.pop("authors", None)
    authors = normalise_authors(source.metadata, fmt)
    if authors is not None:
        meta["author"] = authors
    if isinstance(meta.get("date"), str) and meta["date"].strip() in {
        "today",
        "now",
        "last-modified",
    }:
        # Quarto's date keywords, made reproducible: the build timestamp.
        meta["date"] = dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date().isoformat()
    lang = str(meta.get("lang", "en")).split("-")[0].lower()
    if "reference-section-title" not in meta and not re.search(r"#refs\b", source.body):
        meta["reference-section-title"] = REFERENCE_TITLES.get(lang, REFERENCE_TITLES["en"])
    meta.setdefault("link-citations", True)
    if fmt == "html" and "title" not in meta and "pagetitle" not in meta:
        meta["pagetitle"] = Path(source.source_name).stem
    return meta


def compose_markdown(metadata: Mapping[str, Any], body: str) -> str:
    """Pandoc Markdown with the merged metadata as its YAML block."""
    header = yaml.safe_dump(dict(metadata), allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{header}---\n\n{body.lstrip(chr(10))}"


# --------------------------------------------------------------------------- pandoc

_RENDER_ERROR = re.compile(r"RENDER-ERROR: (?P<message>[^\n]*)")
_CITEPROC_MISSING = re.compile(r"Citeproc: citation (?P<key>\S+) not found")
_RESOURCE_PROBLEM = re.compile(
    r"^\[WARNING\] (?P<message>(?:Could not fetch resource|Could not find image|"
    r"Could not convert image|Could not determine image size)[^\n]*)",
    re.M,
)
_QUARTO_XREF = re.compile(r"Unable to resolve crossref @(?P<id>[\w:.-]+)")


def _pandoc_executable() -> str:
    try:
        import pypandoc
    except ImportError as exc:  # pragma: no cover - pinned dependency
        raise RenderError("pypandoc-binary is not installed") from exc
    path = pypandoc.get_pandoc_path()
    if not path:  # pragma: no cover - pinned dependency
        raise RenderError("pandoc binary not found")
    return str(path)


def _filter_path(name: str) -> str:
    path = FILTER_DIR / name
    if not path.is_file():  # pragma: no cover - packaging error
        raise RenderError(f"Lua filter {path} is missing")
    return str(path)


def _user_filters(metadata: Mapping[str, Any], project_dir: Path) -> list[str]:
    """Project Lua filters (Quarto's ``filters:``), run before ours as Quarto does."""
    paths: list[str] = []
    for entry in metadata.get("filters") or []:
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if not isinstance(path, str) or not path.endswith(".lua"):
            raise RenderError(f"filter {entry!r}: only Lua filter files are supported")
        if not (project_dir / path).is_file():
            raise RenderError(f"filter '{path}' not found in the project folder")
        paths.append(path)
    return paths


def pandoc_arguments(
    fmt: str,
    metadata: Mapping[str, Any],
    *,
    synthetic: bool,
    aux_dir: Path,
    user_filters: Sequence[str],
) -> list[str]:
    """Pandoc options for one format (input on stdin, output on stdout)."""
    args = [
        "--from=markdown",
        f"--to={PANDOC_WRITERS[fmt]}",
        "--standalone",
        f"--data-dir={aux_dir / 'pandoc-data'}",  # empty: no user templates/defaults
        "--resource-path=.",
        "--wrap=none",  # one line per paragraph: stable, grep-able output
        "--output=-",
    ]
    args.append(f"--lua-filter={_filter_path('content_visible.lua')}")
    for path in user_filters:
        args.append(f"--lua-filter={path}")
    args.append(f"--lua-filter={_filter_path('crossref.lua')}")
    if fmt == "docx":
        args.append(f"--lua-filter={_filter_path('docx_raster.lua')}")
    args.append("--citeproc")
    if synthetic:
        args += [
            f"--lua-filter={_filter_path('synthetic_banner.lua')}",
            f"--metadata=synthetic-banner:{BANNER_TEXT}",
        ]
    if metadata.get("toc") is True:
        args.append("--toc")
        if "toc-depth" in metadata:
            args.append(f"--toc-depth={int(metadata['toc-depth'])}")
    if fmt == "html":
        header = aux_dir / "header.html"
        header.write_text(HTML_CSS, encoding="utf-8")
        args += ["--embed-resources", "--section-divs", "--mathml", f"--include-in-header={header}"]
    elif fmt == "pdf":
        header = aux_dir / "header.typ"
        header.write_text(TYPST_HEADER, encoding="utf-8")
        args.append(f"--include-in-header={header}")
    elif fmt == "docx" and metadata.get("reference-doc"):
        args.append(f"--reference-doc={metadata['reference-doc']}")
    return args


def locate_key(text: str, source_name: str, key: str, *, first_line: int = 1) -> str:
    """``"index.qmd:12"`` for the first ``@key`` in ``text``, else just the file name.

    Pandoc reports unknown citations and (through our filter) unknown
    cross-references without positions; pointing at the line saves a search.
    """
    match = re.search(rf"@{re.escape(key)}(?![\w:.#$%&+?<>~/-]*[\w])", text)
    if match is None:
        return source_name
    return f"{source_name}:{first_line + text.count(chr(10), 0, match.start())}"


def check_pandoc_diagnostics(
    stderr: str,
    returncode: int,
    source_name: str,
    locate: Callable[[str], str] | None = None,
) -> list[str]:
    """Turn pandoc's messages into errors; return the harmless warnings.

    Unknown citations and missing images are only *warnings* for pandoc, but a
    manuscript that prints "(smith2020?)" or an empty figure must not be built.
    ``locate`` maps a citation key or id to a "file:line" for the message.
    """
    where = locate or (lambda _key: source_name)
    custom = _RENDER_ERROR.search(stderr)
    if custom:
        message = custom.group("message")
        unknown = re.search(r"unknown cross-reference '@([^']+)'", message)
        location = where(unknown.group(1)) if unknown else source_name
        raise RenderError(f"{location}: {message}")
    if returncode != 0:
        raise RenderError(f"{source_name}: pandoc failed (exit {returncode}):\n{stderr.strip()}")
    missing = sorted(set(_CITEPROC_MISSING.findall(stderr)))
    if missing:
        details = "; ".join(f"'{key}' ({where(key)})" for key in missing)
        raise RenderError(f"unknown citation key(s) not in the bibliography: {details}")
    resource = _RESOURCE_PROBLEM.search(stderr)
    if resource:
        raise RenderError(f"{source_name}: {resource.group('message')}")
    xref = _QUARTO_XREF.search(stderr)
    if xref:
        raise RenderError(
            f"{where(xref.group('id'))}: unknown cross-reference '@{xref.group('id')}'"
        )
    return [line for line in stderr.splitlines() if line.strip()]


def _run(
    command: Sequence[str], *, cwd: Path, stdin: bytes | None, epoch: int
) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    try:
        return subprocess.run(  # noqa: S603 - fixed executables, no shell
            list(command), input=stdin, capture_output=True, cwd=cwd, env=env, check=False
        )
    except OSError as exc:
        raise RenderError(f"cannot run {command[0]}: {exc}") from exc


def compile_typst(source: str, root: Path, epoch: int) -> bytes:
    """Compile typst markup to PDF with ``root`` as the project root.

    Only the fonts bundled with typst (Libertinus Serif, New Computer Modern,
    DejaVu Sans Mono) plus ``root/fonts`` are used, so the PDF is the same on
    every machine, and the creation date is the build timestamp.
    """
    import typst

    font_dir = root / "fonts"
    font_paths = [str(font_dir)] if font_dir.is_dir() else []
    try:
        pdf, warnings = typst.compile_with_warnings(
            source.encode("utf-8"),
            root=str(root),
            font_paths=font_paths,
            ignore_system_fonts=True,
            format="pdf",
            timestamp=epoch,
        )
    except typst.TypstError as exc:
        hints = "".join(f"\n  hint: {hint}" for hint in getattr(exc, "hints", []) or [])
        raise RenderError(f"typst failed: {getattr(exc, 'message', exc)}{hints}") from exc
    except RuntimeError as exc:  # older bindings raise plain RuntimeError
        raise RenderError(f"typst failed: {exc}") from exc
    for warning in warnings:
        logger.warning("typst: %s", getattr(warning, "message", warning))
    if not isinstance(pdf, bytes):  # pragma: no cover - single PDF expected
        raise RenderError("typst returned no PDF")
    return pdf


def render_with_pandoc(
    project_dir: Path, fmt: str, *, synthetic: bool, source_date_epoch: int | None = None
) -> bytes:
    """Render ``project_dir/index.qmd`` with pandoc (+ typst for PDF); return the bytes."""
    source = load_source(project_dir, fmt)
    epoch = resolve_epoch(source_date_epoch, os.environ, source.metadata)
    metadata = pandoc_metadata(source, fmt, epoch)
    markdown = compose_markdown(metadata, source.body)
    user_filters = _user_filters(source.metadata, project_dir)
    with tempfile.TemporaryDirectory(prefix="render-aux-") as aux:
        aux_dir = Path(aux)
        (aux_dir / "pandoc-data").mkdir()
        command = [
            _pandoc_executable(),
            *pandoc_arguments(
                fmt, metadata, synthetic=synthetic, aux_dir=aux_dir, user_filters=user_filters
            ),
        ]
        result = _run(command, cwd=project_dir, stdin=markdown.encode("utf-8"), epoch=epoch)
    stderr = result.stderr.decode("utf-8", errors="replace")
    raw = (project_dir / source.source_name).read_text(encoding="utf-8")
    warnings = check_pandoc_diagnostics(
        stderr,
        result.returncode,
        source.source_name,
        lambda key: locate_key(raw, source.source_name, key),
    )
    for warning in warnings:
        logger.warning("pandoc: %s", warning)
    data = result.stdout
    if fmt == "pdf":
        data = compile_typst(data.decode("utf-8"), project_dir, epoch)
    elif fmt == "docx" and synthetic:
        data = add_docx_banner(data, BANNER_TEXT)
    return data


# --------------------------------------------------------------------------- docx banner

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


# --------------------------------------------------------------------------- quarto


def _set_format_option(config: dict[str, Any], quarto_format: str, key: str, value: Any) -> None:
    formats = config.get("format")
    if not isinstance(formats, dict):
        formats = {formats: "default"} if isinstance(formats, str) else {}
    options = formats.get(quarto_format)
    options = dict(options) if isinstance(options, Mapping) else {}
    options[key] = value
    formats[quarto_format] = options
    config["format"] = formats


def render_with_quarto(
    quarto: str,
    project_dir: Path,
    fmt: str,
    *,
    synthetic: bool,
    source_date_epoch: int | None = None,
) -> bytes:
    """Render with the Quarto CLI in a scratch copy of the project.

    The copy keeps Quarto's side files (``.quarto/``, ``*_files/``) out of the
    staged folder and lets us add the banner filter and the self-contained HTML
    option to ``_quarto.yml`` without touching the original.
    """
    with tempfile.TemporaryDirectory(prefix="render-quarto-") as scratch:
        work = Path(scratch) / "project"
        shutil.copytree(project_dir, work)
        config = _load_yaml(work / "_quarto.yml")
        quarto_format = QUARTO_FORMATS[fmt]
        if fmt == "html":
            _set_format_option(config, quarto_format, "embed-resources", True)
        if synthetic:
            shutil.copy2(FILTER_DIR / "synthetic_banner.lua", work / "synthetic_banner.lua")
            config["filters"] = [*(config.get("filters") or []), "synthetic_banner.lua"]
            config["synthetic-banner"] = BANNER_TEXT
        (work / "_quarto.yml").write_text(
            yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        epoch = resolve_epoch(source_date_epoch, os.environ, document_metadata(work, fmt))
        command = [
            quarto,
            "render",
            "index.qmd",
            "--to",
            quarto_format,
            "--output-dir",
            "_render_out",
        ]
        result = _run(command, cwd=work, stdin=None, epoch=epoch)
        stderr = result.stderr.decode("utf-8", errors="replace")
        for warning in check_pandoc_diagnostics(stderr, result.returncode, "index.qmd"):
            logger.info("quarto: %s", warning)
        produced = work / "_render_out" / f"index{OUTPUT_SUFFIXES[fmt]}"
        if not produced.is_file():
            raise RenderError(f"quarto did not produce {produced.name}:\n{stderr.strip()}")
        data = produced.read_bytes()
    if fmt == "docx" and synthetic:
        data = add_docx_banner(data, BANNER_TEXT)
    return data


# --------------------------------------------------------------------------- entry points


def render(
    project_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    fmt: str,
    *,
    synthetic: bool,
    engine: str = "auto",
    source_date_epoch: int | None = None,
) -> Path:
    """Render a staged project folder to ``output`` as ``fmt`` (html, pdf or docx).

    ``engine="auto"`` uses the Quarto CLI when it is on ``PATH`` and the
    pandoc+typst engine otherwise; ``"pandoc"`` or ``"quarto"`` force one.
    ``synthetic`` adds the synthetic-data banner.  ``source_date_epoch``
    overrides ``$SOURCE_DATE_EPOCH`` for the timestamps embedded in outputs.
    The output is replaced only after a complete, successful render.
    """
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if engine not in ENGINES:
        raise RenderError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    project = Path(project_dir).resolve()
    target = Path(output)
    quarto = shutil.which("quarto") if engine in {"auto", "quarto"} else None
    if engine == "quarto" and quarto is None:
        raise RenderError("engine 'quarto' requested but quarto is not on PATH")
    if quarto is not None:
        data = render_with_quarto(
            quarto, project, fmt, synthetic=synthetic, source_date_epoch=source_date_epoch
        )
    else:
        data = render_with_pandoc(
            project, fmt, synthetic=synthetic, source_date_epoch=source_date_epoch
        )
    write_bytes(data, target)
    return target


def _parse_arguments(argv: Iterable[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.render",
        description="Render a staged Quarto project folder to HTML, PDF or DOCX.",
    )
    parser.add_argument("project_dir", type=Path, help="staged project folder with index.qmd")
    parser.add_argument("--to", dest="fmt", choices=FORMATS, required=True)
    parser.add_argument("--output", type=Path, required=True, help="file to write")
    parser.add_argument("--synthetic", action="store_true", help="add the synthetic-data banner")
    parser.add_argument("--engine", choices=ENGINES, default="auto")
    return parser.parse_args(None if argv is None else list(argv))


def main(argv: Iterable[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    arguments = _parse_arguments(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    try:
        render(
            arguments.project_dir,
            arguments.output,
            arguments.fmt,
            synthetic=arguments.synthetic,
            engine=arguments.engine,
        )
    except RenderError as exc:
        print(f"render: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
