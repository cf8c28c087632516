"""Readers several stages share: typed views of the clean Study 1 tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from analysis.io import read_csv

if TYPE_CHECKING:
    import pandas as pd

#: A rule's named inputs or outputs: key -> path.
Paths = Mapping[str, str]


def read_articles(path: str) -> pd.DataFrame:
    """Study 1's clean charting sheet, ``year`` as an integer."""
    df = read_csv(path)
    return df.assign(year=df["year"].astype(int))


def read_counts(path: str) -> pd.DataFrame:
    """A tally with its count column ``n`` as an integer."""
    return read_csv(path).assign(n=lambda d: d["n"].astype(int))
