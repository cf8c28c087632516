"""Stage one document as a complete Quarto project and render it in every format, one job.

Why one job: a Snakemake job costs several seconds of interpreter start and imports, while
pandoc needs 0.2-0.4 s per format, so staging and the three renders of a document share one
job. Why a complete project: ``results/render/<doc>/`` must work on its own, with the
Quarto CLI (``quarto preview results/render/article2``) as well as with the pandoc engine,
so it holds everything the document refers to: ``_quarto.yml``, ``_variables.yml``,
``tables/``, ``figures/``, the bibliography, the CSL style, the provenance appendix and the
Lua filters its ``_quarto.yml`` names.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from analysis.render.common import BANNER_FILTER, BANNER_TEXT, FILTER_DIR, RenderError
from analysis.render.entry import render
from analysis.render.metadata import load_yaml, split_front_matter
from analysis.render.shortcodes import find_shortcodes
from analysis.render.wordcount import word_count

logger = logging.getLogger(__name__)

Paths = Mapping[str, str]

#: The staged document's word count (words of main text), read by the landing page.
WORDS_FILE = "wordcount.json"
WORDS_EXCLUDE = ("title", "abstract", "tables", "figure captions", "references", "appendices")


def project_config(quarto_yml: str | Path, *, synthetic: bool) -> dict[str, Any]:
    """The staged ``_quarto.yml``: the shared one, plus the banner filter when synthetic.

    Quarto reads ``filters`` and the ``synthetic-banner`` text from here; the pandoc engine
    adds the banner itself and skips the staged copy of the filter.
    """
    config = yaml.safe_load(Path(quarto_yml).read_text(encoding="utf-8")) or {}
    if synthetic:
        filters = [f for f in config.get("filters") or [] if f != BANNER_FILTER]
        config["filters"] = [*filters, BANNER_FILTER]
        config["synthetic-banner"] = BANNER_TEXT
    return config


def _provenance_appendix(inp: Paths) -> str:
    """The document's HTML-only provenance appendix, from the project's record.

    Written here, not by the provenance rule, so that a prose edit re-runs only this
    document's job, not the record and every other document.
    """
    from analysis import provenance

    text = Path(inp["qmd"]).read_text(encoding="utf-8")
    record = json.loads(Path(inp["provenance"]).read_text(encoding="utf-8"))
    return provenance.appendix(text, record)


def write_word_count(folder: Path, doc: str) -> int:
    """Record the words of main text of the staged document in ``folder/WORDS_FILE``."""
    variables = load_yaml(folder / "_variables.yml")
    words = word_count(
        (folder / "index.qmd").read_text(encoding="utf-8"), variables, f"{doc}/index.qmd"
    )
    record = {"document": doc, "words_main_text": words, "excludes": list(WORDS_EXCLUDE)}
    (folder / WORDS_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return words


def stage_project(inp: Paths, folder: Path, *, synthetic: bool) -> None:
    """Lay out one document's Quarto project in the (empty) ``folder``."""
    shutil.copyfile(inp["qmd"], folder / "index.qmd")
    config = project_config(inp["quarto"], synthetic=synthetic)
    (folder / "_quarto.yml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=10_000),
        encoding="utf-8",
    )
    if synthetic:
        shutil.copyfile(FILTER_DIR / BANNER_FILTER, folder / BANNER_FILTER)
    shutil.copyfile(inp["bib"], folder / "references.bib")
    shutil.copyfile(inp["csl"], folder / "apa.csl")
    shutil.copyfile(inp["variables"], folder / "_variables.yml")
    (folder / "provenance.md").write_text(_provenance_appendix(inp), encoding="utf-8")
    shutil.copytree(inp["tables"], folder / "tables")
    (folder / "figures").mkdir()
    for key, path in sorted(inp.items()):
        if key.startswith("fig_"):
            shutil.copyfile(path, folder / "figures" / Path(path).name)


_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<path>[^)\s]+)")

#: Metadata keys whose values are files of the project.
FILE_KEYS = ("bibliography", "csl", "filters")


def _metadata_files(metadata: Mapping[str, Any]) -> list[str]:
    files: list[str] = []
    for key in FILE_KEYS:
        value = metadata.get(key)
        for entry in value if isinstance(value, list) else [value]:
            path = entry.get("path") if isinstance(entry, Mapping) else entry
            if isinstance(path, str) and path:
                files.append(path)
    return files


def referenced_files(folder: str | Path) -> list[str]:
    """Every file the staged project refers to, relative to ``folder``, sorted.

    The bibliography, CSL and filters of ``_quarto.yml`` and the front matter, the
    variables file when a ``var`` shortcode is used, and every include and image of
    ``index.qmd`` and of the files it includes (recursively).
    """
    root = Path(folder)
    found = set(_metadata_files(load_yaml(root / "_quarto.yml")))
    pending, seen = ["index.qmd"], set()
    while pending:
        name = pending.pop()
        if name in seen or not (root / name).is_file():
            continue
        seen.add(name)
        yaml_text, body, _ = split_front_matter((root / name).read_text(encoding="utf-8"))
        if yaml_text:
            found |= set(_metadata_files(yaml.safe_load(yaml_text) or {}))
        base = Path(name).parent
        for code in find_shortcodes(body, source_name=name):
            if code.escaped or not code.arguments:
                continue
            if code.name == "var":
                found.add("_variables.yml")
            elif code.name == "include":
                target = code.arguments[0]
                path = target.lstrip("/") if target.startswith("/") else (base / target).as_posix()
                found.add(path)
                pending.append(path)
        for match in _IMAGE.finditer(body):
            image = (base / match.group("path")).as_posix()
            found.add(image)
            if image.endswith(".svg"):  # Word gets the PNG twin (docx_raster.lua)
                found.add(image.removesuffix(".svg") + ".png")
    return sorted(found | seen)


def missing_files(folder: str | Path) -> list[str]:
    """The files :func:`referenced_files` names that the folder does not hold."""
    root = Path(folder)
    return [name for name in referenced_files(root) if not (root / name).is_file()]


def stage_and_render(
    inp: Paths,
    out: Paths,
    *,
    formats: Sequence[str],
    synthetic: bool,
    engine: str,
) -> None:
    """Rule ``render``: stage ``results/render/<doc>/`` and render it to every format.

    The folder is built beside its target and renamed into place, and every document is
    written atomically, so a failure leaves the previous outputs as they were.
    """
    from analysis.io import atomic_dir

    folder = Path(out["folder"])
    with atomic_dir(folder) as tmp:
        stage_project(inp, tmp, synthetic=synthetic)
        doc = Path(inp["qmd"]).parent.name
        logger.info("%s: %d words of main text", doc, write_word_count(tmp, doc))
        missing = missing_files(tmp)
        if missing:
            raise RenderError(
                f"{inp['qmd']}: the staged project lacks {', '.join(missing)} "
                "(referenced but not staged)"
            )
    if engine != "pandoc":
        logger.warning(
            "render engine %r: the outputs depend on the Quarto version installed, so "
            "`make verify` (which checks the pandoc engine's bytes) does not apply",
            engine,
        )
    for fmt in formats:
        if fmt not in out:
            raise RenderError(f"the render rule declares no output for format {fmt!r}")
        render(folder, out[fmt], fmt, synthetic=synthetic, engine=engine)
        logger.info("rendered %s (%s engine)", out[fmt], engine)
