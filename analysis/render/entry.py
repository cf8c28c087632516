"""Entry points: :func:`render` (one document, one format) and the command line.

Why: the workflow and the tests call one function that picks the engine, renders and
writes the output atomically, so a failed render never leaves a partial file.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

from analysis.io import write_bytes
from analysis.render.common import ENGINES, FORMATS, RenderError
from analysis.render.pandoc import render_with_pandoc
from analysis.render.quarto import render_with_quarto


def render(
    project_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    fmt: str,
    *,
    synthetic: bool,
    engine: str = "pandoc",
    source_date_epoch: int | None = None,
) -> Path:
    """Render a staged project folder to ``output`` as ``fmt`` (html, pdf or docx).

    The default, ``"pandoc"``, is the deterministic pandoc+typst engine whose bytes
    ``make verify`` checks; ``"quarto"`` uses the Quarto CLI (an error when it is not on
    ``PATH``); ``"auto"`` uses Quarto when it is on ``PATH`` (outputs then depend on the
    machine, so the workflow never uses it).
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
    parser.add_argument("--engine", choices=ENGINES, default="pandoc")
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
