"""The PRISMA 2020 flow diagram of the scoping review, drawn with matplotlib only.

The layout follows the Page et al. (2021) template for new systematic reviews which included
searches of databases and registers: the main column runs from identification to inclusion,
the boxes of records and reports leaving the flow sit to its right, and the phases are named
on rotated bands down the left side. When records were also identified from other sources,
an "other methods" column is added on the far right; in this review those records were
de-duplicated and screened together with the database records (``analysis.prisma.check``), so
the other-sources box joins the main flow before the records removed before screening.

The diagram is laid out in inches (one data unit is one inch): every box's text is measured
first and the box is made tall enough for it, then the rows are stacked with fixed gaps, so
boxes never overlap whatever the number of databases or exclusion reasons. The result is
deterministic; save it with ``analysis.figures.save``. Nothing is clipped, so the SVG holds no
clip-path ids, whose hash would otherwise depend on the ``svg.hashsalt`` in force when saving.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.textpath import text_to_path

from analysis.figures import RC
from analysis.prisma import Flow

FONT_SIZE = 7.5
HEADER_SIZE = 8.0
PAD = 0.08  # inner margin of a box, inches
BAND_W = 0.3  # width of the rotated phase bands
BAND_GAP = 0.15  # between a band and the main column
COL_GAP = 0.35  # between columns (room for the horizontal arrows)
ROW_GAP = 0.3  # between rows (room for the vertical arrows)
JOIN_GAP = 0.2  # from the identification boxes down to where their streams merge
HEADER = (0.12, 0.42)  # y range of the column headers; the boxes start at y = 0
SECTION_GAP = 0.35  # between the identification, screening and included sections
WIDTH = {"main": 2.3, "side": 2.5, "other": 1.8}
INDENT = "    "
HEADER_FILL = {"main": "#ffc000", "other": "#d9d9d9"}
BAND_FILL = "#9dc3e6"
EDGE = "black"
LINE_W = 0.8


_TOKEN = re.compile(r"\(n = [^)]*\):?|\S+")  # "(n = 1,234)" is never broken


def _n(value: int) -> str:
    return f"(n = {value:,})"


def _width_in(text: str, size: float, bold: bool = False) -> float:
    prop = FontProperties(family=RC["font.family"], size=size, weight="bold" if bold else "normal")
    width, _, _ = text_to_path.get_text_width_height_descent(text, prop, ismath=False)
    return width / 72.0


def _wrap(line: str, width: float, size: float = FONT_SIZE) -> list[str]:
    """Break ``line`` into pieces no wider than ``width`` inches; continuation is indented.

    A single word wider than ``width`` stays on its own line (the box is then too narrow
    for it, which the tests of the diagram would catch).
    """
    lead = line[: len(line) - len(line.lstrip(" "))]
    words, lines, cur = _TOKEN.findall(line), [], ""
    for word in (piece for token in words for piece in _split_long(token, lead, width, size)):
        trial = f"{cur} {word}" if cur else f"{lead if not lines else lead + INDENT}{word}"
        if cur and _width_in(trial, size) > width:
            lines.append(cur)
            cur = f"{lead}{INDENT}{word}"
        else:
            cur = trial
    lines.append(cur)
    return lines


def _split_long(token: str, lead: str, width: float, size: float) -> list[str]:
    """A token too wide for a line (a long URL, say) cut into pieces that fit."""
    pieces, cur = [], ""
    for char in token:
        if cur and _width_in(f"{lead}{INDENT}{cur}{char}", size) > width:
            pieces.append(cur)
            cur = ""
        cur += char
    return [*pieces, cur]


def _band_length(label: str) -> float:
    return _width_in(label, HEADER_SIZE, bold=True) + 2 * PAD


def _lines(parts: list[str], width: float) -> str:
    inner = width - 2 * PAD
    return "\n".join(piece for part in parts for piece in _wrap(part, inner))


def _contents(flow: Flow) -> dict[str, str]:
    """The text of every box, wrapped to its column."""
    main, side, other = WIDTH["main"], WIDTH["side"], WIDTH["other"]
    databases = sum(flow.databases.values())
    text = {
        "identified": _lines(
            [f"Records identified from databases {_n(databases)}:"]
            + [f"{INDENT}{name} {_n(v)}" for name, v in flow.databases.items()],
            main,
        ),
        "removed": _lines(
            [
                "Records removed before screening:",
                f"{INDENT}Duplicate records removed {_n(flow.removed_duplicates)}",
                f"{INDENT}Records removed for other reasons {_n(flow.removed_other)}",
            ],
            side,
        ),
        "screened": _lines([f"Records screened {_n(flow.screened)}"], main),
        "excluded": _lines([f"Records excluded {_n(flow.excluded_screening)}"], side),
        "sought": _lines([f"Reports sought for retrieval {_n(flow.sought)}"], main),
        "not_retrieved": _lines([f"Reports not retrieved {_n(flow.not_retrieved)}"], side),
        "assessed": _lines([f"Reports assessed for eligibility {_n(flow.assessed)}"], main),
        "reasons": _lines(
            [f"Reports excluded {_n(flow.excluded_full_text)}:"]
            + [f"{INDENT}{k} {_n(v)}" for k, v in flow.exclusion_reasons.items()],
            side,
        ),
        "included": _lines([f"Studies included in review {_n(flow.included)}"], main),
    }
    if flow.other_sources:
        text["other"] = _lines(
            [f"Records identified from other sources {_n(sum(flow.other_sources.values()))}:"]
            + [f"{INDENT}{name} {_n(v)}" for name, v in flow.other_sources.items()],
            other,
        )
    return text


@dataclass
class _Box:
    x: float  # left edge
    top: float  # top edge (y grows upwards; the layout runs downwards from 0)
    w: float
    h: float

    @property
    def bottom(self) -> float:
        return self.top - self.h

    @property
    def cy(self) -> float:
        return self.top - self.h / 2

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def right(self) -> float:
        return self.x + self.w


def _arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        annotation_clip=False,
        clip_on=False,
        arrowprops={
            "arrowstyle": "-|>",
            "color": EDGE,
            "lw": LINE_W,
            "shrinkA": 0,
            "shrinkB": 0,
            "mutation_scale": 9,
        },
    )


def draw_flow(flow: Flow) -> Figure:
    """The PRISMA 2020 flow diagram of ``flow`` as a matplotlib figure (inches as units)."""
    with plt.rc_context(RC):
        fig = plt.figure(figsize=(1, 1))
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_axis_off()
        renderer = fig.canvas.get_renderer()
        texts = {
            key: ax.text(
                0,
                0,
                value,
                fontsize=FONT_SIZE,
                ha="left",
                va="center",
                multialignment="left",
                linespacing=1.3,
                zorder=3,
            )
            for key, value in _contents(flow).items()
        }
        height = {
            key: t.get_window_extent(renderer).height / fig.dpi + 2 * PAD
            for key, t in texts.items()
        }
        boxes = _layout(flow, height)
        for key, box in boxes.items():
            ax.add_patch(
                Rectangle(
                    (box.x, box.bottom),
                    box.w,
                    box.h,
                    facecolor="white",
                    edgecolor=EDGE,
                    linewidth=LINE_W,
                    zorder=2,
                    clip_on=False,
                    gid=f"prisma-box-{key}",
                )
            )
            texts[key].set_position((box.x + PAD, box.cy))
        _headers(ax, boxes, flow)
        _bands(ax, boxes, flow)
        _arrows(ax, boxes, flow)
        left = -(BAND_W + BAND_GAP) - 0.05
        right = max(b.right for b in boxes.values()) + 0.05
        top = HEADER[1] + 0.05
        bottom = min(boxes["included"].bottom, _band_bottom(boxes["included"])) - 0.05
        fig.set_size_inches(right - left, top - bottom)
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
    return fig


def _layout(flow: Flow, height: dict[str, float]) -> dict[str, _Box]:
    x_main = 0.0
    x_side = x_main + WIDTH["main"] + COL_GAP
    x_other = x_side + WIDTH["side"] + COL_GAP
    b: dict[str, _Box] = {}
    b["identified"] = _Box(x_main, 0.0, WIDTH["main"], height["identified"])
    if flow.other_sources:
        b["other"] = _Box(x_other, 0.0, WIDTH["other"], height["other"])
        # both streams merge below the identification boxes, then lose the removed records
        ident_bottom = min(b["identified"].bottom, b["other"].bottom)
        b["removed"] = _Box(
            x_side, ident_bottom - JOIN_GAP - ROW_GAP, WIDTH["side"], height["removed"]
        )
        section_bottom = b["removed"].bottom
    else:
        ident = b["identified"]
        h = height["removed"]
        top = ident.cy + h / 2 if h <= ident.h else 0.0
        b["removed"] = _Box(x_side, top, WIDTH["side"], h)
        section_bottom = min(ident.bottom, b["removed"].bottom)
    top = section_bottom - SECTION_GAP
    for main, side in (
        ("screened", "excluded"),
        ("sought", "not_retrieved"),
        ("assessed", "reasons"),
    ):
        row = max(height[main], height[side])
        b[main] = _Box(x_main, top - (row - height[main]) / 2, WIDTH["main"], height[main])
        b[side] = _Box(x_side, top - (row - height[side]) / 2, WIDTH["side"], height[side])
        top -= row + ROW_GAP
    # the "Included" band is longer than a one-line box: leave room for it above the box
    top += ROW_GAP - SECTION_GAP - max(0.0, _band_length("Included") - height["included"]) / 2
    b["included"] = _Box(x_main, top, WIDTH["main"], height["included"])
    return b


def _band_bottom(box: _Box) -> float:
    return box.cy - max(box.h, _band_length("Included")) / 2


def _headers(ax: plt.Axes, b: dict[str, _Box], flow: Flow) -> None:
    spans = [
        (
            "main",
            b["identified"].x,
            b["removed"].right,
            "Identification of studies via databases and registers",
        )
    ]
    if flow.other_sources:
        spans.append(
            ("other", b["other"].x, b["other"].right, "Identification of studies via other methods")
        )
    y0, h = HEADER[0], HEADER[1] - HEADER[0]
    for kind, x0, x1, label in spans:
        ax.add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                h,
                facecolor=HEADER_FILL[kind],
                edgecolor=EDGE,
                linewidth=LINE_W,
                zorder=2,
                clip_on=False,
                gid=f"prisma-header-{kind}",
            )
        )
        lines = "\n".join(s.strip() for s in _wrap(label, x1 - x0 - 4 * PAD, HEADER_SIZE))
        ax.text(
            (x0 + x1) / 2,
            y0 + h / 2,
            lines,
            fontsize=HEADER_SIZE,
            fontweight="bold",
            ha="center",
            va="center",
            zorder=3,
        )


def _bands(ax: plt.Axes, b: dict[str, _Box], flow: Flow) -> None:
    ident = [b["identified"], b["removed"]] + ([b["other"]] if flow.other_sources else [])
    screen = [
        b[k] for k in ("screened", "excluded", "sought", "not_retrieved", "assessed", "reasons")
    ]
    x = -(BAND_W + BAND_GAP)
    for label, group in (
        ("Identification", ident),
        ("Screening", screen),
        ("Included", [b["included"]]),
    ):
        top = max(g.top for g in group)
        bottom = min(g.bottom for g in group)
        extra = max(0.0, _band_length(label) - (top - bottom)) / 2
        top, bottom = top + extra, bottom - extra
        ax.add_patch(
            FancyBboxPatch(
                (x, bottom),
                BAND_W,
                top - bottom,
                boxstyle="round,pad=0,rounding_size=0.06",
                facecolor=BAND_FILL,
                edgecolor="none",
                zorder=2,
                clip_on=False,
                gid=f"prisma-band-{label.lower()}",
            )
        )
        ax.text(
            x + BAND_W / 2,
            (top + bottom) / 2,
            label,
            rotation=90,
            fontsize=HEADER_SIZE,
            fontweight="bold",
            ha="center",
            va="center",
            rotation_mode="anchor",
            zorder=3,
        )


def _arrows(ax: plt.Axes, b: dict[str, _Box], flow: Flow) -> None:
    ident, removed, screened = b["identified"], b["removed"], b["screened"]
    cx = ident.cx
    if flow.other_sources:
        other = b["other"]
        join = min(ident.bottom, other.bottom) - JOIN_GAP
        ax.plot(
            [other.cx, other.cx, cx],
            [other.bottom, join, join],
            color=EDGE,
            lw=LINE_W,
            solid_joinstyle="miter",
            zorder=1,
            clip_on=False,
        )
        ax.plot(
            [cx, cx], [ident.bottom, removed.cy], color=EDGE, lw=LINE_W, zorder=1, clip_on=False
        )
        _arrow(ax, (cx, removed.cy), (removed.x, removed.cy))
    else:
        y = (min(ident.top, removed.top) + max(ident.bottom, removed.bottom)) / 2
        _arrow(ax, (ident.right, y), (removed.x, y))
    _arrow(ax, (cx, ident.bottom if not flow.other_sources else removed.cy), (cx, screened.top))
    for main, side in (
        ("screened", "excluded"),
        ("sought", "not_retrieved"),
        ("assessed", "reasons"),
    ):
        _arrow(ax, (b[main].right, b[side].cy), (b[side].x, b[side].cy))
    for upper, lower in (("screened", "sought"), ("sought", "assessed"), ("assessed", "included")):
        _arrow(ax, (cx, b[upper].bottom), (cx, b[lower].top))


__all__ = ["draw_flow"]
