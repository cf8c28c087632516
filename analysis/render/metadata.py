"""Quarto's project metadata for the pandoc engine: front matter, ``_quarto.yml``, authors.

Why: Quarto merges ``_quarto.yml`` under each document's front matter, per output format,
and understands rich author entries with affiliations; pandoc's templates do neither, so
the merge and the reshaping are done here before pandoc sees the document.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.render.common import DEFAULT_EPOCH, RenderError
from analysis.render.shortcodes import expand_shortcodes

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


def load_yaml(path: Path) -> dict[str, Any]:
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
    return merge_metadata(load_yaml(project_dir / "_quarto.yml"), front_matter, fmt)


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
    config = load_yaml(project / "_quarto.yml")
    variables = load_yaml(project / "_variables.yml")
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
    DOCX writers want one Markdown string per author (a mapping would print as
    nothing), so the affiliation follows the name on a line of its own.
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
        elif affiliation:  # name, then the affiliation on its own line, in italics
            authors.append(f"{_markdown_escape(name)}\\\n*{_markdown_escape(affiliation)}*")
        else:
            authors.append(_markdown_escape(name))
    return authors


def _markdown_escape(text: str) -> str:
    """Text that pandoc's Markdown reader reads back literally (metadata is Markdown)."""
    return re.sub(r"([\\`*_{}\[\]<>#+!|^~$@])", r"\\\1", text)


def pandoc_metadata(source: RenderSource, fmt: str, epoch: int) -> dict[str, Any]:
    """The metadata block handed to pandoc (Quarto-only keys removed, defaults set)."""
    meta = {k: v for k, v in source.metadata.items() if k not in QUARTO_ONLY_KEYS}
    # The staged project carries the banner text for Quarto; this engine passes its own.
    meta.pop("synthetic-banner", None)
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
