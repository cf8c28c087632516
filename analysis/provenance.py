"""Provenance of every number, table and figure the documents show.

A reviewer who doubts a number in an article must be able to find where it was computed:
which DAG output it was read from, which rule wrote that output, the exact bytes
(SHA-256) of that file, and which version of the code did it. The documents read values
from ``_variables.yml`` and tables from ``tables/*.md`` (both written by the ``assemble``
rule); :data:`VARIABLE_SOURCES` and :data:`TABLE_SOURCES` say which of the assemble rule's
inputs each of them is derived from, and Snakemake's own rule list says which rule wrote
each input. The result is one JSON record for the whole build and one HTML-only appendix
per document, listing exactly what that document uses.

The code version is a hash of the code's content, not a git commit: a commit hash would
change the documents on every commit (including the commit that records their checksums),
so byte-identical rebuilds could never be verified.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.io import sha256_file
from analysis.render import find_shortcodes
from analysis.tables import markdown_table

#: Variable key prefix -> names of ``assemble`` inputs it is derived from. The longest
#: matching prefix wins; ``{k}`` stands for 2 and 3 (Studies 2 and 3).
VARIABLE_SOURCES: dict[str, list[str]] = {
    "data": [],  # the run mode, from the configuration
    "study1": ["prisma"],
    "study1.year_first": ["s1_year"],
    "study1.year_last": ["s1_year"],
    "study1.top_country": ["s1_country"],
    "study1.countries": ["s1_country"],
    "study1.qualitative": ["s1_design"],
    "study1.role": ["role_ci"],
    "study1.most_common_role": ["role_ci"],
    "study1.rarest_role": ["role_ci"],
    "study1.stage": ["stage_ci"],
    "study1.outcome": ["outcomes_ci"],
    "study1.role_stage": ["s1_role_stage"],
    "study1.early": ["model"],
    "study1.trend": ["model"],
    "study{k}": ["participants{k}"],
    "study{k}.segments": ["segments{k}"],
    "study{k}.subthemes": ["s{k}_subthemes"],
    "study{k}.themes": ["s{k}_themes"],
    "study{k}.theme": ["s{k}_themes", "s{k}_coverage_by_group"],
    "study{k}.reliability": ["reliability{k}"],
    "study{k}.reliability.share": ["reliability{k}", "segments{k}"],
    "synthesis": ["matrix", "shares"],
}

#: Table name prefix -> names of ``assemble`` inputs (longest prefix wins).
TABLE_SOURCES: dict[str, list[str]] = {
    "s1-flow": ["prisma"],
    "s1-characteristics": ["s1_period", "s1_design", "s1_sector", "s1_setting", "s1_country"],
    "s1-roles": ["role_ci", "s1_role_stage"],
    "s1-stages": ["stage_ci"],
    "s1-outcomes": ["outcomes_ci"],
    "s1-trend": ["model"],
    "s1-sources": ["s1_sources"],
    "s{k}-themes": ["s{k}_themes", "s{k}_subthemes"],
    "s{k}-groups": ["s{k}_by_group", "s{k}_coverage_by_group", "participants{k}"],
    "s{k}-hierarchy": ["s{k}_hierarchy"],
    "s{k}-reliability": ["reliability{k}", "reliability_table{k}"],
    "s{k}-quotes": ["quotations{k}", "condensates{k}"],
    "synthesis": ["matrix"],
    "prisma-scr": ["checklists"],
    "coreq": ["checklists"],
}


def _expand(table: Mapping[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for prefix, names in table.items():
        for k in ("2", "3") if "{k}" in prefix else ("",):
            out[prefix.replace("{k}", k)] = [n.replace("{k}", k) for n in names]
    return out


def sources_for(name: str, table: Mapping[str, list[str]], sep: str) -> list[str]:
    """Input names behind a variable key or table name: the longest matching prefix.

    A numbered part matches its stem (``study2.theme1`` matches ``study2.theme``).
    """
    if sep == "." and name.startswith("nb."):  # the same value, formatted for Norwegian
        return sources_for(name[len("nb.") :], table, sep)
    expanded = _expand(table)
    parts = name.split(sep)
    for i in range(len(parts), 0, -1):
        for last in dict.fromkeys((parts[i - 1], re.sub(r"\d+$", "", parts[i - 1]))):
            prefix = sep.join([*parts[: i - 1], last])
            if prefix in expanded:
                return expanded[prefix]
    raise KeyError(f"no provenance rule for {name!r}: add its prefix to analysis.provenance")


def flatten(variables: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"study1": {"included": "172"}}`` -> ``{"study1.included": "172"}``."""
    out: dict[str, str] = {}
    for k, v in variables.items():
        full = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            out |= flatten(v, full)
        else:
            out[full] = str(v)
    return out


#: Tools around the DAG that produce no result, left out of the code version.
OUTSIDE_DAG = frozenset({"analysis/environment.py"})


def code_files(root: str | Path = ".") -> list[str]:
    """The code whose content hash is every document's code version, relative to ``root``:
    the analysis package (with its Lua filters) and the workflow, not :data:`OUTSIDE_DAG`."""
    base = Path(root)
    found = [
        *base.glob("analysis/**/*.py"),
        *base.glob("analysis/filters/*.lua"),
        *(p for p in base.glob("workflow/**/*") if p.is_file()),
    ]
    names = {p.relative_to(base).as_posix() for p in found if "__pycache__" not in p.parts}
    return sorted(names - OUTSIDE_DAG)


def code_version(files: Iterable[str | Path], root: str | Path = ".") -> str:
    """``sha256:<12 hex>`` over the code's relative paths and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in files):
        rel = path.resolve().relative_to(Path(root).resolve()).as_posix()
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()[:12]}"


def _pattern(output: str) -> re.Pattern[str]:
    """A regex for a Snakemake output pattern (``results/{study}/x.csv``)."""
    parts = re.split(r"(\{[^}]+\})", output)
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + r"(/.*)?"
    )


def producer(path: str, outputs: Mapping[str, Sequence[str]]) -> str:
    """The rule whose output (pattern) ``path`` is, or ``input`` for a source file."""
    for rule, patterns in sorted(outputs.items()):
        if any(_pattern(p).fullmatch(path) for p in patterns):
            return rule
    return "input"


def record(
    variables: Mapping[str, Any],
    tables: Sequence[str],
    figures: Mapping[str, str],
    inputs: Mapping[str, str],
    outputs: Mapping[str, Sequence[str]],
    version: str,
) -> dict[str, Any]:
    """Every variable, table and figure with its producing rules and input checksums.

    ``inputs`` maps the assemble rule's input names to paths; ``figures`` figure paths by
    name; ``outputs`` every rule's output patterns (from Snakemake).
    """
    checksums: dict[str, str] = {}

    def described(names: Sequence[str]) -> list[dict[str, str]]:
        rows = []
        for name in names:
            paths = [inputs[name]] if name in inputs else []
            for path in paths:
                if path not in checksums:
                    checksums[path] = sha256_file(path)
                rows.append(
                    {"file": path, "rule": producer(path, outputs), "sha256": checksums[path]}
                )
        return rows

    out: dict[str, Any] = {"code_version": version, "variables": {}, "tables": {}, "figures": {}}
    for key_, value in sorted(flatten(variables).items()):
        out["variables"][key_] = {
            "value": value,
            "inputs": described(sources_for(key_, VARIABLE_SOURCES, ".")),
        }
    for name in sorted(tables):
        out["tables"][name] = {
            "rule": "assemble",
            "inputs": described(sources_for(name, TABLE_SOURCES, "-")),
        }
    for path in sorted(figures.values()):
        out["figures"][Path(path).name] = {
            "file": path,
            "rule": producer(path, outputs),
            "sha256": sha256_file(path),
        }
    return out


def used_by(qmd: str) -> tuple[list[str], list[str], list[str]]:
    """Variable keys, table names and figure file names a document source refers to."""
    keys = [
        c.arguments[0]
        for c in find_shortcodes(qmd)
        if c.name == "var" and c.arguments and not c.escaped
    ]
    tables = re.findall(r"\{\{<\s*include\s+tables/([\w-]+)\.md\s*>\}\}", qmd)
    figures = re.findall(r"\]\(figures/([\w.-]+)\)", qmd)
    return list(dict.fromkeys(keys)), list(dict.fromkeys(tables)), list(dict.fromkeys(figures))


def _inputs_cell(inputs: Sequence[Mapping[str, str]]) -> str:
    return "; ".join(f"`{i['file']}` ({i['rule']}, {i['sha256'][:12]})" for i in inputs) or "—"


def appendix(qmd: str, prov: Mapping[str, Any]) -> str:
    """The HTML-only appendix of one document: what it shows and where each came from."""
    keys, tables, figures = used_by(qmd)
    rows = []
    for k in keys:
        entry = prov["variables"][k]
        rows.append(
            {
                "Shown": f"`{k}`",
                "Value": entry["value"],
                "Computed by (rule, SHA-256 of the file)": _inputs_cell(entry["inputs"]),
            }
        )
    for t in tables:
        entry = prov["tables"][t]
        rows.append(
            {
                "Shown": f"@tbl-{t}" if not t.startswith(("s2-quotes", "s3-quotes")) else f"`{t}`",
                "Value": "table",
                "Computed by (rule, SHA-256 of the file)": _inputs_cell(entry["inputs"]),
            }
        )
    for f in figures:
        entry = prov["figures"][f]
        rows.append(
            {
                "Shown": f"`{f}`",
                "Value": "figure",
                "Computed by (rule, SHA-256 of the file)": _inputs_cell([entry]),
            }
        )
    body = markdown_table(
        pd.DataFrame(rows),
        "Provenance of every value, table and figure in this document",
        "provenance",
        align=["l", "l", "l"],
        note=f"Code version {prov['code_version']} (SHA-256 of the analysis package and the "
        "workflow). Every file named here is an output of the Snakemake workflow and can "
        "be rebuilt with `make`; `make verify` checks that a rebuild gives the same bytes.",
    )
    return (
        '::: {.content-visible when-format="html"}\n\n'
        "# Appendix: provenance {#sec-appendix-provenance .unnumbered}\n\n"
        f"{body}\n:::\n"
    )
