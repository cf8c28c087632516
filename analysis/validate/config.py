"""Validating a configuration mapping (``config/config.yaml``, the claims file).

Why here: configuration problems are reported like sheet problems -- every one at once,
each with its JSON path, an unknown key with the closest valid key -- and each message
starts with the file's path when the caller gives it as ``label``, so the author knows which
file to open. Values found in the file are quoted masked, like cell values.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from analysis.masking import mask
from analysis.validate.problems import ConfigError, ConfigProblem, did_you_mean


def _resolve_local(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow ``"$ref": "#/..."`` pointers within the same schema (e.g. to ``$defs``).

    Sibling keywords of the ``$ref`` (such as a ``default``) win over the target's.
    Remote references are left alone: configs here only use local ones.
    """
    for _ in range(32):  # a cycle of references must not hang the workflow
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#"):
            return schema
        target: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _fill_defaults(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """Return a copy of ``instance`` with the ``default`` of absent properties filled in.

    Defaults are filled where a property is absent, then recursively inside
    objects and array items that are present, following local ``$ref``s.
    """
    schema = _resolve_local(schema, root)
    if isinstance(instance, dict):
        filled = dict(instance)
        for key, sub in schema.get("properties", {}).items():
            if not isinstance(sub, Mapping):
                continue
            sub = _resolve_local(sub, root)
            if key not in filled and "default" in sub:
                filled[key] = copy.deepcopy(sub["default"])
            if key in filled:
                filled[key] = _fill_defaults(filled[key], sub, root)
        return filled
    if isinstance(instance, list) and isinstance(schema.get("items"), Mapping):
        return [_fill_defaults(item, schema["items"], root) for item in instance]
    return instance


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _key(key: object) -> str:
    """A key of the configuration, as written: keys are the file's structure (they are in
    the JSON path anyway), not data."""
    return json.dumps(str(key), ensure_ascii=False)


def _show_json(value: Any) -> str:
    """A found value, masked when it is text (a path or a label may hold a name)."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str | list | dict):
        shown = '"' + mask(value if isinstance(value, str) else shown) + '"'
    return f"{shown} ({_json_type(value)})"


def _child_path(base: str, key: str) -> str:
    return (
        f"{base}.{key}"
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key)
        else (f"{base}[{json.dumps(key, ensure_ascii=False)}]")
    )


def _config_problems(error: ValidationError, label: str) -> list[ConfigProblem]:
    """Translate a jsonschema error on a config into messages naming the JSON path."""
    path = error.json_path
    keyword = error.validator
    where = "config" if path == "$" else f"config at {path}"
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        extras = [
            k
            for k in error.instance
            if k not in known and not any(re.search(p, k) for p in patterns)
        ]
        return [
            ConfigProblem(
                label,
                _child_path(path, k),
                None,
                f"unknown key {_key(k)} in {where}",
                did_you_mean(k, known) or f"expected keys: {', '.join(known) or 'none'}",
            )
            for k in extras
        ]
    if keyword == "required" and isinstance(error.instance, dict):
        return [
            ConfigProblem(
                label, _child_path(path, k), None, f"missing required key {_key(k)} in {where}"
            )
            for k in error.validator_value
            if k not in error.instance
        ]
    if keyword == "enum":
        choices = [str(c) for c in error.validator_value]
        return [
            ConfigProblem(
                label,
                path,
                _show_json(error.instance),
                f"one of: {', '.join(choices)}",
                did_you_mean(str(error.instance), choices),
            )
        ]
    if keyword == "type":
        kinds = error.validator_value
        kinds = kinds if isinstance(kinds, str) else " or ".join(kinds)
        return [ConfigProblem(label, path, _show_json(error.instance), f"a value of type {kinds}")]
    options = error.validator_value if keyword == "anyOf" else []
    if options and all(set(o) == {"required"} for o in options):
        alternatives = " or ".join(
            "key " + ", ".join(_key(k) for k in o["required"]) for o in options
        )
        have = ", ".join(_key(k) for k in error.instance) or "no keys"
        return [ConfigProblem(label, path, have, f"one of these sets: {alternatives}")]
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if keyword in bounds:
        return [
            ConfigProblem(
                label,
                path,
                _show_json(error.instance),
                f"a number {bounds[keyword]} {error.validator_value}",
            )
        ]
    return [
        ConfigProblem(
            label,
            path,
            _show_json(error.instance),
            f"a value that meets the schema's {keyword} rule",
        )
    ]


def validate_config(
    config: Mapping[str, Any], schema: Mapping[str, Any], *, label: str = "config"
) -> dict[str, Any]:
    """Validate a configuration mapping and return a copy with the schema's defaults filled in.

    Defaults are filled before validation so that a required key with a default
    is satisfied; the input mapping is never modified.  Every problem is raised
    together in one :class:`ConfigError`, each with its JSON path, and an
    unknown key (``additionalProperties: false``) gets the closest valid key.
    """
    Draft202012Validator.check_schema(dict(schema))
    filled = _fill_defaults(copy.deepcopy(dict(config)), schema, schema)
    validator = Draft202012Validator(dict(schema))
    problems = sorted(
        (p for e in validator.iter_errors(filled) for p in _config_problems(e, label)),
        key=lambda p: p.path,
    )
    if problems:
        raise ConfigError(problems)
    return filled
