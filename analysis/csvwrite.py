"""The project's one CSV writer: RFC 4180 fields, ``\\n`` row ends, atomic, chunked.

Why not ``DataFrame.to_csv``: with ``lineterminator="\\n"`` Python 3.11's csv module does not
quote a field holding a lone CR, and a coded span can end between the CR and the LF of an
NVivo CRLF transcript line, which splits the row for every reader. Here any field holding a
comma, a double quote, a CR or an LF is quoted (quotes doubled); everything else is written
exactly as ``to_csv(index=False, lineterminator="\\n")`` writes it (``True``/``False`` for
booleans, ``""`` for missing values, floats in their shortest round-trip form), so the
outputs of the DAG keep their bytes. Rows are formatted a slice at a time, so quoted copies
of half a million coded spans are never all alive at once, and the file is written beside
its target and renamed into place (:func:`analysis.io.atomic_path`), so Snakemake never sees
half a table. The DAG (:func:`analysis.io.write_csv`) and the ``qdpx`` command line both
write through :func:`write_csv`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_column", "write_csv"]

_SPECIAL = re.compile('[",\r\n]')
CHUNK_ROWS = 20_000


def _field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if _SPECIAL.search(text) else text


def _object_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating) and np.isnan(value):
        return ""
    return str(value)


def format_column(series: pd.Series) -> list[str]:
    """The unquoted text ``to_csv`` writes for every value of ``series``."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if dtype.kind == "O" or isinstance(dtype, pd.StringDtype):
        return [_object_text(v) for v in series.tolist()]
    if dtype.kind in "biuf" and not isinstance(dtype, pd.api.extensions.ExtensionDtype):
        if dtype.kind == "f":
            values = series.to_numpy()
            text = values.astype(str).astype(object)
            text[np.isnan(values)] = ""
            return text.tolist()
        return [str(v) for v in series.tolist()]
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and dtype.kind in "biuf":
        return [_object_text(v) for v in series.astype(object).tolist()]
    # datetimes and the rest: let pandas format them, and read its fields back
    buffer = io.StringIO()
    series.to_frame().to_csv(buffer, index=False, header=False, lineterminator="\r\n")
    buffer.seek(0)
    return [row[0] if row else "" for row in csv.reader(buffer)]


def _rows(columns: Sequence[list[str]]) -> str:
    if len(columns) == 1:  # csv writes a lone empty field as "" so the row is not blank
        return "".join((_field(v) if v else '""') + "\n" for v in columns[0])
    return "".join(",".join(map(_field, row)) + "\n" for row in zip(*columns, strict=True))


def write_csv(
    frame: pd.DataFrame, target: str | os.PathLike[str], *, chunk_rows: int = CHUNK_ROWS
) -> Path:
    """Write ``frame`` (no index) as UTF-8 CSV with ``\\n`` row ends, atomically."""
    from analysis.io import atomic_path  # analysis.io re-exports this writer

    target = Path(target)
    header = _rows([[str(c)] for c in frame.columns]).replace("\n", ",")[:-1] + "\n"
    if len(frame.columns) == 1:
        header = _rows([[str(frame.columns[0])]])
    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as fh:
        fh.write(header)
        for lo in range(0, len(frame), chunk_rows):
            part = frame.iloc[lo : lo + chunk_rows]
            fh.write(_rows([format_column(part.iloc[:, i]) for i in range(part.shape[1])]))
    return target
