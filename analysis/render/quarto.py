"""The Quarto engine: the Quarto CLI on a scratch copy of the staged project.

Why: authors who have Quarto installed may want its output; it is used only when chosen
explicitly, because its bytes depend on the Quarto version (``make verify`` checks the
pandoc engine's bytes).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from analysis.render.common import (
    BANNER_FILTER,
    BANNER_TEXT,
    FILTER_DIR,
    NOTICE_TEXT,
    OUTPUT_SUFFIXES,
    RenderError,
)
from analysis.render.docx import add_docx_banner
from analysis.render.metadata import document_metadata, load_yaml, resolve_epoch
from analysis.render.pandoc import check_pandoc_diagnostics, run_tool, typst_header

logger = logging.getLogger(__name__)

QUARTO_FORMATS: dict[str, str] = {"html": "html", "pdf": "typst", "docx": "docx"}


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
        config = load_yaml(work / "_quarto.yml")
        quarto_format = QUARTO_FORMATS[fmt]
        if fmt == "html":
            _set_format_option(config, quarto_format, "embed-resources", True)
        if synthetic:
            shutil.copy2(FILTER_DIR / BANNER_FILTER, work / BANNER_FILTER)
            filters = [f for f in config.get("filters") or [] if f != BANNER_FILTER]
            config["filters"] = [*filters, BANNER_FILTER]
            config["synthetic-banner"] = BANNER_TEXT
            if fmt == "pdf":  # the running notice on every page, as the pandoc engine does
                (work / "notice.typ").write_text(typst_header(synthetic=True), encoding="utf-8")
                _set_format_option(config, quarto_format, "include-in-header", "notice.typ")
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
        result = run_tool(command, cwd=work, stdin=None, epoch=epoch)
        stderr = result.stderr.decode("utf-8", errors="replace")
        for warning in check_pandoc_diagnostics(stderr, result.returncode, "index.qmd"):
            logger.info("quarto: %s", warning)
        produced = work / "_render_out" / f"index{OUTPUT_SUFFIXES[fmt]}"
        if not produced.is_file():
            raise RenderError(f"quarto did not produce {produced.name}:\n{stderr.strip()}")
        data = produced.read_bytes()
    if fmt == "docx" and synthetic:
        data = add_docx_banner(data, BANNER_TEXT, NOTICE_TEXT)
    return data
