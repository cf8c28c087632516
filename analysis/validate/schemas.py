"""The row schemas of the input tables and what their keywords mean to a reader.

Besides standard JSON Schema keywords the row schemas in ``workflow/schemas/`` carry a few
annotations that only this package reads:

``"x-multivalued": ";"``
    on an ``array`` column kept as one cell with values separated by ``;``;
    ``items.enum`` lists the allowed values.
``"x-unique": true``
    on an id column whose non-empty values must be unique in the table.
``"x-unique-together": [["stage", "item"]]``
    at the top level: combinations of columns that must be unique.
``"x-min-rows": 1``
    at the top level: the fewest data rows a usable table has.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "workflow" / "schemas"
"""Where the row schemas of the input tables live."""


def load_schema(schema: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Load a row schema from a path (or take a dict) and check it is valid JSON Schema.

    A broken schema is a programming error, not an input problem, so it raises
    jsonschema's ``SchemaError`` rather than :class:`InputError`.
    """
    if isinstance(schema, Mapping):
        loaded = dict(schema)
    else:
        loaded = json.loads(Path(schema).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(loaded)
    return loaded


def schema_path(table: str, schema_dir: str | Path = SCHEMA_DIR) -> Path:
    """Path of the row schema of ``table`` (``extraction``, ``prisma``, ...)."""
    return Path(schema_dir) / f"{table}.schema.json"


def column_names(schema: Mapping[str, Any]) -> list[str]:
    return list(schema.get("properties", {}))


def enum_of(prop: Mapping[str, Any]) -> list[str] | None:
    """Allowed values of a category column, or of each value of a multi-valued column."""
    if "x-multivalued" in prop:
        return prop.get("items", {}).get("enum")
    return prop.get("enum")


def types_of(prop: Mapping[str, Any]) -> set[str]:
    kind = prop.get("type", "string")
    return {kind} if isinstance(kind, str) else set(kind)


def describe(prop: Mapping[str, Any]) -> str:
    """Say in words what a cell of this column should hold."""
    enum = enum_of(prop)
    if "x-multivalued" in prop:
        sep = prop["x-multivalued"]
        least = "one or more" if prop.get("minItems", 0) >= 1 else "zero or more"
        return f'{least} of: {", ".join(enum or [])} (separated by "{sep}")'
    if enum is not None:
        return f"one of: {', '.join(enum)}"
    types = types_of(prop)
    if "integer" in types:
        low, high = prop.get("minimum"), prop.get("maximum")
        if low is not None and high is not None:
            return f"an integer between {low} and {high}"
        if low == 0:
            return "a non-negative integer"
        if low is not None:
            return f"an integer of at least {low}"
        if high is not None:
            return f"an integer of at most {high}"
        return "an integer"
    if "pattern" in prop:
        return f"text matching the pattern {prop['pattern']}"
    return "text"


def with_description(text: str, prop: Mapping[str, Any]) -> str:
    description = prop.get("description")
    return f"{text} ({description})" if description else text


def header_key(name: str) -> str:
    """Key under which header names are compared: case, spacing and NFC do not matter."""
    return re.sub(r"[\s_]+", "_", unicodedata.normalize("NFC", name).strip().casefold())
