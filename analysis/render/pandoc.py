"""The deterministic engine: pandoc for HTML and DOCX, pandoc's typst writer + typst for PDF.

Why: the Quarto CLI cannot be installed on every machine that rebuilds the compendium, and
its output depends on its version; pandoc (``pypandoc-binary``) and typst (the Python
binding) are pinned in the lock file, so these bytes are the ones ``make verify`` checks.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from analysis.render.common import (
    BANNER_FILTER,
    BANNER_TEXT,
    FILTER_DIR,
    NOTICE_TEXT,
    RenderError,
)
from analysis.render.docx import add_docx_banner
from analysis.render.metadata import (
    compose_markdown,
    load_source,
    pandoc_metadata,
    resolve_epoch,
)

logger = logging.getLogger(__name__)

PANDOC_WRITERS: dict[str, str] = {"html": "html5", "pdf": "typst", "docx": "docx"}

#: The banner is styled inline by synthetic_banner.lua, so that it also shows
#: in Quarto's HTML, and non-synthetic builds carry no trace of it.
HTML_CSS = """\
<style>
body { max-width: 64em; }
p, li, blockquote, dl { max-width: 46em; }
table { border-collapse: collapse; margin: 1em 0; max-width: 100%; }
th, td { border: 1px solid #8c8c8c; padding: 0.25em 0.6em; text-align: left;
  vertical-align: top; hyphens: manual; }
thead th { background: #f2f2f2; }
caption, figcaption { text-align: left; font-size: 0.95em; margin: 0.5em 0; }
figure { margin: 1.5em 0; text-align: center; }
figure img, figure svg { max-width: 100%; height: auto; }
a.quarto-xref { text-decoration: none; }
p.author { margin: 0.2em 0; }
@media (max-width: 64em) { table { display: block; overflow-x: auto; } }
</style>
"""

#: Typst set rules after pandoc's template.  Numbering is done by crossref.lua
#: (so all formats agree), hence typst's own figure numbering is switched off.
#: Tables as a journal sets them: content-sized columns (typst_tables.lua drops
#: pandoc's relative widths), left-aligned, unjustified and unhyphenated cells,
#: the caption kept with the table, the header row repeated on every page
#: (pandoc writes ``table.header``, which repeats by default).  The template's
#: author grid (names and affiliations) is not justified or hyphenated either.
TYPST_HEADER = """\
#set figure(numbering: none)
#set table(stroke: 0.5pt + luma(140), inset: 5pt)
#show figure.where(kind: table): set block(breakable: true)
#show figure.caption.where(position: top): it => block(sticky: true, it)
#show table.cell: set par(justify: false)
#show table.cell: set text(hyphenate: false)
#show table.cell.where(y: 0): set text(weight: "bold")
#show link: set text(fill: rgb("#1a4f8b"))
#show grid: set par(justify: false)
#show grid: set text(hyphenate: false)
#set page(footer: context align(center, text(size: 9pt, counter(page).display())))
"""

#: The running notice of synthetic builds, on every PDF page.
TYPST_NOTICE = """\
#set page(header: align(center, text(size: 8pt, weight: "bold", fill: rgb("#b00020"), {notice})))
"""


def typst_header(*, synthetic: bool) -> str:
    """The typst preamble: the set rules, plus the running notice for synthetic builds."""
    if not synthetic:
        return TYPST_HEADER
    notice = '"' + NOTICE_TEXT.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return TYPST_HEADER + TYPST_NOTICE.replace("{notice}", notice)


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
    """Project Lua filters (Quarto's ``filters:``), run before ours as Quarto does.

    The staged copy of the banner filter is for Quarto; this engine adds its own.
    """
    paths: list[str] = []
    for entry in metadata.get("filters") or []:
        path = entry.get("path") if isinstance(entry, Mapping) else entry
        if path == BANNER_FILTER:
            continue
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
    if fmt in {"html", "pdf"}:
        args.append(f"--lua-filter={_filter_path('typst_tables.lua')}")
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
        header.write_text(typst_header(synthetic=synthetic), encoding="utf-8")
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


def run_tool(
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


def run_pandoc(
    project_dir: Path, fmt: str, *, synthetic: bool, source_date_epoch: int | None = None
) -> tuple[bytes, int]:
    """Pandoc's output for ``project_dir/index.qmd`` (typst markup for ``pdf``) and the
    build timestamp; every problem pandoc reports about the source is a RenderError."""
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
        result = run_tool(command, cwd=project_dir, stdin=markdown.encode("utf-8"), epoch=epoch)
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
    return result.stdout, epoch


def render_with_pandoc(
    project_dir: Path, fmt: str, *, synthetic: bool, source_date_epoch: int | None = None
) -> bytes:
    """Render ``project_dir/index.qmd`` with pandoc (+ typst for PDF); return the bytes."""
    data, epoch = run_pandoc(
        project_dir, fmt, synthetic=synthetic, source_date_epoch=source_date_epoch
    )
    if fmt == "pdf":
        data = compile_typst(data.decode("utf-8"), project_dir, epoch)
    elif fmt == "docx" and synthetic:
        data = add_docx_banner(data, BANNER_TEXT, NOTICE_TEXT)
    return data
