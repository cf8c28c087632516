"""Check the published facts (``config/claims.yaml``) against the DAG's own results.

Every number, name or category a publication states and the synthetic data can support is a
*claim*: its source (DOI), where it is stated, the published value, and a structured recipe
(``compute``) that recomputes it from one CSV output of the DAG. The recipe is data, not code:
a row filter (``where``) and one operation from a closed set (:data:`OPS`), so no text from
the YAML is ever evaluated. :func:`check_claims` compares published and computed values as
rendered text and :func:`claims_step` writes a CSV and a small HTML report, then stops the
build on any mismatch unless the run is exploratory.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.io import read_csv, read_yaml, write_csv, write_text
from analysis.masking import mask
from analysis.validate import ConfigError, ConfigProblem, validate_config

log = logging.getLogger(__name__)

COLUMNS = ["claim_id", "source", "published", "computed", "status"]
"""Columns of ``results/verify/claims.csv``."""

LIST_SEP = " | "


_PLAIN_NUMBER = re.compile(r"-?[0-9]{1,9}(?:\.[0-9]+)?")


class ClaimMismatch(ValueError):
    """A published fact does not hold in the data; ``.failures`` lists (id, published, computed)."""

    def __init__(self, failures: Sequence[tuple[str, str, str]]) -> None:
        self.failures = list(failures)
        n = len(self.failures)
        lines = [f"{n} published claim{'s' if n != 1 else ''} not reproduced by the data:"]
        lines += [
            f"  {cid}: published {pub!r}, computed {shown(comp)}"
            for cid, pub, comp in self.failures
        ]
        lines.append(
            "(the full table is in the rule's log, and in results/verify/ when run with "
            "--keep-incomplete; set exploratory: true to build anyway)"
        )
        super().__init__("\n".join(lines))


def shown(value: Any) -> str:
    """A computed value as a message may quote it: a plain number (an aggregate) as is,
    anything else through :func:`analysis.masking.mask`, since a value computed from the data
    (a database label, a theme name) is input text and may hold what the gate missed."""
    text = str(value)
    return repr(text) if _PLAIN_NUMBER.fullmatch(text) else f"'{mask(text)}'"


class ClaimError(ValueError):
    """A claim's recipe cannot be applied to its output (missing column, no single row...)."""


# --------------------------------------------------------------------------- loading


def load_claims(path: str | Path, schema_path: str | Path) -> list[dict[str, Any]]:
    """Read and validate the claims file; raise :class:`ConfigError` listing every problem."""
    label = Path(path).name
    raw = read_yaml(path)
    schema = json.loads(Path(schema_path).read_text(encoding="utf-8"))
    data = validate_config(
        raw if isinstance(raw, Mapping) else {"claims": raw}, schema, label=label
    )
    seen: dict[str, int] = {}
    problems = []
    for i, claim in enumerate(data["claims"]):
        if claim["id"] in seen:
            problems.append(
                ConfigProblem(
                    label,
                    f"claims[{i}].id",
                    repr(claim["id"]),
                    "a unique claim id",
                    f"already used by claims[{seen[claim['id']]}]",
                )
            )
        seen.setdefault(claim["id"], i)
    if problems:
        raise ConfigError(problems)
    return data["claims"]


def claim_outputs(claims: Sequence[Mapping[str, Any]]) -> list[str]:
    """The DAG outputs the claims read, sorted and without repeats (the rule's inputs)."""
    return sorted({c["compute"]["output"] for c in claims})


# --------------------------------------------------------------------------- evaluation


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ClaimError(f"{what}: {shown(value)} is not a number") from None


def _scalar(value: Any) -> Any:
    """A CSV cell as an int or float when it reads as one, else the text itself."""
    if isinstance(value, str):
        for cast in (int, float):
            try:
                return cast(value)
            except ValueError:
                continue
    return value


def _extreme(df: pd.DataFrame, c: Mapping[str, Any], pick: Callable[[Any], Any]) -> Any:
    values = [_number(v, f"column {c['col']}") for v in df[c["col"]]]
    if not values:
        raise ClaimError("no rows to compare")
    best = pick(values)
    keys = [k for k, v in zip(df[c["key"]], values, strict=True) if v == best]
    return keys[0] if len(keys) == 1 else keys


def _single(df: pd.DataFrame, c: Mapping[str, Any]) -> Any:
    if len(df) != 1:
        raise ClaimError(f"`value` needs exactly one row, the filter kept {len(df)}")
    return _scalar(df[c["col"]].iloc[0])


OPS: dict[str, Callable[[pd.DataFrame, Mapping[str, Any]], Any]] = {
    "rows": lambda df, c: len(df),
    "value": _single,
    "sum": lambda df, c: sum(_number(v, f"column {c['col']}") for v in df[c["col"]]),
    "nunique": lambda df, c: int(df[c["col"]].nunique()),
    "unique": lambda df, c: list(dict.fromkeys(df[c["col"]])),
    "argmax": lambda df, c: _extreme(df, c, max),
    "argmin": lambda df, c: _extreme(df, c, min),
}
"""The whole evaluator: one function per operation, applied to the filtered rows."""


def evaluate(df: pd.DataFrame, compute: Mapping[str, Any]) -> Any:
    """Apply a ``compute`` recipe (``where`` filter, then ``op``) to a frame of strings."""
    op = compute["op"]
    if op not in OPS:
        raise ClaimError(f"unknown op {op!r}; known: {', '.join(OPS)}")
    needed = [*(compute.get("where") or {}), *(compute[k] for k in ("col", "key") if k in compute)]
    missing = [col for col in needed if col not in df.columns]
    if missing:
        raise ClaimError(
            f"no column {', '.join(map(repr, missing))}; columns are {', '.join(df.columns)}"
        )
    for col, want in (compute.get("where") or {}).items():
        wanted = [render(w) for w in (want if isinstance(want, list) else [want])]
        df = df[df[col].isin(wanted)]
    return OPS[op](df, compute)


def compute_claim(claim: Mapping[str, Any], root: Path) -> Any:
    """Recompute one claim from its DAG output below ``root``."""
    compute = claim["compute"]
    path = Path(root) / compute["output"]
    try:
        return evaluate(read_csv(path), compute)
    except ClaimError as exc:
        raise ClaimError(f"claim {claim['id']} ({compute['output']}): {exc}") from None


def render(value: Any) -> str:
    """A value as the text compared and shown: 13178.0 -> '13178', lists joined with ' | '."""
    if isinstance(value, (list, tuple)):
        return LIST_SEP.join(render(v) for v in value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_claims(claims: Sequence[Mapping[str, Any]], root: Path) -> pd.DataFrame:
    """One row per claim: id, source, published, computed and ``match`` / ``mismatch``."""
    rows = []
    for claim in claims:
        published = render(claim["published"])
        computed = render(compute_claim(claim, root))
        status = "match" if published == computed else "mismatch"
        rows.append([claim["id"], claim["source"], published, computed, status])
    return pd.DataFrame(rows, columns=COLUMNS)


# --------------------------------------------------------------------------- report

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#f2f2f2}.match{background:#dff0d8;color:#1d5e1d}
.mismatch{background:#f8d7da;color:#842029;font-weight:bold}"""


def report_html(df: pd.DataFrame) -> str:
    """A small self-contained HTML page of the check (deterministic: no dates, no scripts)."""
    counts = df["status"].value_counts()
    n_match, n_mis = int(counts.get("match", 0)), int(counts.get("mismatch", 0))
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = []
    for row in df[COLUMNS].itertuples(index=False):
        cells = [f"<td>{esc(str(v))}</td>" for v in row[:-1]]
        cells[1] = f'<td><a href="https://doi.org/{esc(row.source)}">{esc(row.source)}</a></td>'
        cells.append(f'<td class="{esc(row.status)}">{esc(row.status)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    verdict = "all published claims reproduced" if n_mis == 0 else f"{n_mis} mismatch(es)"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            '<head><meta charset="utf-8"><title>Published claims check</title>',
            f"<style>{_STYLE}</style></head>",
            "<body>",
            "<h1>Published claims check</h1>",
            f'<p id="counts">{len(df)} claims: {n_match} match, {n_mis} mismatch '
            f"&mdash; {esc(verdict)}.</p>",
            f"<table><thead><tr>{head}</tr></thead>",
            f"<tbody>{''.join(body)}</tbody></table>",
            "</body></html>",
            "",
        ]
    )


# --------------------------------------------------------------------------- step


def claims_step(
    inp: Mapping[str, Any], out: Mapping[str, str], exploratory: bool, root: str | Path = "."
) -> None:
    """Rule ``claims``: write the check's CSV and report, then fail on a mismatch.

    Both files are written first so a reviewer can read them after a failed build (Snakemake
    removes a failed job's outputs unless run with ``--keep-incomplete``, so the table is also
    written to the rule's log); with ``exploratory`` true mismatches are only logged.
    """
    claims = load_claims(inp["claims"], inp["schema"])
    df = check_claims(claims, Path(root))
    write_csv(df, out["csv"])
    write_text(report_html(df), out["report"])
    bad = df[df["status"] == "mismatch"]
    logged = df.assign(computed=df["computed"].map(shown))  # logs keep only masked text
    log.info(
        "%d claims checked, %d mismatch:\n%s",
        len(df),
        len(bad),
        logged.to_csv(index=False, lineterminator="\n"),
    )
    if bad.empty:
        return
    error = ClaimMismatch(
        list(bad[["claim_id", "published", "computed"]].itertuples(index=False, name=None))
    )
    if not exploratory:
        raise error
    log.warning("exploratory run, building anyway:\n%s", error)
