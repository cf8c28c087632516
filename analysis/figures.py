"""Figures for the manuscripts, written as SVG (HTML, PDF) and PNG (DOCX).

Matplotlib output is made byte-stable: a fixed SVG hash salt, no creation date or software
metadata, text as paths (no font files needed to view it), the bundled DejaVu Sans font.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.io import write_bytes  # noqa: E402

RC = {
    "svg.hashsalt": "peerwork-compendium",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 100,
}
PALETTE = ["#1b4f72", "#f39c12", "#27ae60", "#8e44ad", "#c0392b"]


def save(fig: Figure, svg: str | Path, png: str | Path) -> None:
    """Write a figure to SVG and PNG atomically, without timestamps, then close it."""
    # the SVG hash salt (clip-path ids) is read at save time, so RC must be active here too
    with plt.rc_context(RC):
        buf = io.BytesIO()
        fig.savefig(
            buf, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight"
        )
        write_bytes(buf.getvalue(), svg)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=200, metadata={"Software": None}, bbox_inches="tight")
        write_bytes(buf.getvalue(), png)
    plt.close(fig)


def _wrap(label: str, width: int = 28) -> str:
    words, lines, cur = label.split(), [], ""
    for w in words:
        if cur and len(cur) + len(w) + 1 > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "\n".join(lines)


def heatmap(
    matrix: pd.DataFrame, title: str, *, xlabel: str = "", ylabel: str = "", fmt: str = "{:d}"
) -> Figure:
    """Annotated heat map of a numeric frame (index = rows, columns = columns)."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(1.3 + 1.25 * matrix.shape[1], 0.8 + 0.55 * len(matrix)))
        values = matrix.to_numpy(dtype=float)
        ax.imshow(values, cmap="Blues", aspect="auto", vmin=0)
        ax.set_xticks(range(matrix.shape[1]), [_wrap(str(c), 14) for c in matrix.columns])
        ax.set_yticks(range(len(matrix)), [_wrap(str(i)) for i in matrix.index])
        top = np.nanmax(values) if values.size else 0
        for (i, j), v in np.ndenumerate(values):
            text = fmt.format(int(v)) if fmt == "{:d}" else fmt.format(v)
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                color="white" if top and v > 0.6 * top else "black",
            )
        ax.set_title(title, loc="left")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.tick_params(length=0)
        for s in ax.spines.values():
            s.set_visible(False)
    return fig


def stacked_bars(
    table: pd.DataFrame, title: str, *, xlabel: str, ylabel: str, labels: Sequence[str]
) -> Figure:
    """Stacked bars: index on the x axis, one layer per column."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7, 3.2))
        bottom = np.zeros(len(table))
        x = np.arange(len(table))
        for k, col in enumerate(table.columns):
            ax.bar(
                x,
                table[col].to_numpy(),
                bottom=bottom,
                color=PALETTE[k % len(PALETTE)],
                label=labels[k],
                width=0.8,
            )
            bottom += table[col].to_numpy()
        step = max(1, len(table) // 13)
        ax.set_xticks(x[::step], [str(v) for v in table.index[::step]], rotation=0)
        ax.set_title(title, loc="left")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        # outside the axes, so that it never covers a bar
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return fig


def grouped_bars(table: pd.DataFrame, title: str, *, ylabel: str) -> Figure:
    """Horizontal grouped bars: one group per index row, one bar per column."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7, 0.9 + 0.9 * len(table)))
        n = table.shape[1]
        h = 0.8 / n
        y = np.arange(len(table))
        for k, col in enumerate(table.columns):
            ax.barh(
                y + (k - (n - 1) / 2) * h,
                table[col].to_numpy(),
                height=h,
                color=PALETTE[k % len(PALETTE)],
                label=str(col),
            )
        ax.set_yticks(y, [_wrap(str(i), 34) for i in table.index])
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        ax.set_title(title, loc="left")
        # outside the axes, so that it never covers a bar
        ax.legend(
            frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0
        )
    return fig
