"""Markdown tables for the manuscripts, generated from DAG frames.

Pandoc and Quarto both read pipe tables with a caption line ``: Caption {#tbl-id}``, so
one generated file serves every engine and format. Numbers are formatted here, once, so the
manuscripts never format (or type) a number themselves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


def fmt_int(n: int) -> str:
    """Thousands with a comma (13,178), as the published articles write them."""
    return f"{int(n):,}"


def fmt_pct(x: float) -> str:
    return f"{float(x):.1f}"


def fmt_p(p: float) -> str:
    """APA style p-values: no leading zero, '< .001' below a thousandth."""
    p = float(p)
    return "< .001" if p < 0.001 else f"{p:.3f}".lstrip("0")


def _cell(value: object) -> str:
    text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(
    df: pd.DataFrame,
    caption: str,
    label: str,
    *,
    headers: Mapping[str, str] | None = None,
    align: Sequence[str] | None = None,
    note: str | None = None,
) -> str:
    """A pipe table with caption and cross-reference id ``tbl-<label>``.

    Columns of integer dtype are right-aligned unless ``align`` ('l'/'r'/'c' per column)
    says otherwise.
    """
    headers = headers or {}
    cols = list(df.columns)
    if align is None:
        align = ["r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in cols]
    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(_cell(headers.get(c, c)) for c in cols) + " |",
        "|" + "|".join(rule[a] for a in align) + "|",
    ]
    for row in df.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    out = "\n".join(lines) + f"\n\n: {caption} {{#tbl-{label}}}\n"
    if note:
        out += f"\n{note}\n"
    return out
