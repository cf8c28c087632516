"""PRISMA 2020 flow diagram: every number drawn, no overlaps, text inside boxes, stable bytes."""

from __future__ import annotations

import itertools
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.pyplot as plt
import matplotlib.text
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from analysis import figures
from analysis.prisma import Flow, flow_from_counts
from analysis.prisma_diagram import draw_flow

REPO = Path(__file__).resolve().parents[1]
STUDY1 = REPO / "data" / "synthetic" / "study1" / "prisma.csv"
MAIN_BOXES = {
    "identified",
    "removed",
    "screened",
    "excluded",
    "sought",
    "not_retrieved",
    "assessed",
    "reasons",
    "included",
}

# no other sources, one database, big numbers, a long reason and an unbreakable long token
SMALL = [
    ("identified_database", "PubMed", 1234567),
    ("removed_duplicates", "", 34567),
    ("removed_other", "", 1000),
    ("screened", "", 1199000),
    ("excluded_screening", "", 1198000),
    ("sought", "", 1000),
    ("not_retrieved", "", 0),
    ("assessed", "", 1000),
    (
        "excluded_reason",
        "the intervention was delivered by professionals and not by peer "
        "workers with lived experience of mental health or substance use problems",
        900,
    ),
    ("excluded_reason", "https://example.org/a-very-long-unbroken-address-of-a-protocol", 75),
    ("included", "", 25),
]


def study1() -> Flow:
    return flow_from_counts(pd.read_csv(STUDY1, dtype=str, keep_default_na=False))


def small() -> Flow:
    return flow_from_counts(pd.DataFrame(SMALL, columns=["stage", "item", "n"]).astype(str))


def many_databases() -> Flow:
    rows = [("identified_database", f"Database number {k}", 100) for k in range(1, 26)]
    rows += [
        ("identified_other", "websites", 7),
        ("identified_other", "organisations", 3),
        ("identified_other", "citation searching", 20),
    ]
    rows += [
        ("removed_duplicates", "", 530),
        ("removed_other", "", 0),
        ("screened", "", 2000),
        ("excluded_screening", "", 1900),
        ("sought", "", 100),
        ("not_retrieved", "", 10),
        ("assessed", "", 90),
        ("excluded_reason", "wrong population", 80),
        ("included", "", 10),
    ]
    return flow_from_counts(pd.DataFrame(rows, columns=["stage", "item", "n"]).astype(str))


FLOWS = {"study1": study1, "small": small, "many_databases": many_databases}


def drawn_text(fig: Figure) -> str:
    """All strings drawn on the figure, whitespace (wrapping, indents) collapsed."""
    strings = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return " ".join(" ".join(strings).split())


def patches(fig: Figure, prefix: str = "prisma-") -> dict[str, Bbox]:
    ax = fig.axes[0]
    return {p.get_gid(): p.get_bbox() for p in ax.patches if (p.get_gid() or "").startswith(prefix)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_study1_every_number_is_drawn() -> None:
    flow = study1()
    fig = draw_flow(flow)
    text = drawn_text(fig)
    for name, n in flow.databases.items():
        assert f"{name} (n = {n:,})" in text
    for name, n in flow.other_sources.items():
        assert f"{name} (n = {n:,})" in text
    for reason, n in flow.exclusion_reasons.items():
        assert f"{reason} (n = {n:,})" in text
    for expected in [
        "Records identified from databases (n = 18,904)",
        "Records identified from other sources (n = 26)",
        "Duplicate records removed (n = 5,752)",
        "Records removed for other reasons (n = 0)",
        "Records screened (n = 13,178)",
        "Records excluded (n = 12,567)",
        "Reports sought for retrieval (n = 611)",
        "Reports not retrieved (n = 9)",
        "Reports assessed for eligibility (n = 602)",
        "Reports excluded (n = 430)",
        "Studies included in review (n = 172)",
        "Identification",
        "Screening",
        "Included",
        "Identification of studies via databases and registers",
        "Identification of studies via other methods",
    ]:
        assert expected in text
    assert "Medline (n = 3,747)" in text and "Academic Search Elite (n = 852)" in text
    assert set(patches(fig, "prisma-box-")) == {f"prisma-box-{k}" for k in MAIN_BOXES | {"other"}}
    plt.close(fig)


def test_other_methods_column_only_when_there_are_other_sources() -> None:
    fig = draw_flow(small())
    text = drawn_text(fig)
    assert "other methods" not in text and "other sources" not in text
    assert set(patches(fig, "prisma-box-")) == {f"prisma-box-{k}" for k in MAIN_BOXES}
    assert "Records identified from databases (n = 1,234,567)" in text
    assert "PubMed (n = 1,234,567)" in text
    assert "Duplicate records removed (n = 34,567)" in text
    assert "Records screened (n = 1,199,000)" in text
    assert "Records excluded (n = 1,198,000)" in text
    assert "Studies included in review (n = 25)" in text
    long_reason, address = small().exclusion_reasons
    assert f"{long_reason} (n = 900)" in text  # wrapped at spaces, rejoined here
    assert f"{address}(n=75)" in "".join(text.split())  # cut into pieces that fit the box
    plt.close(fig)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_boxes_do_not_overlap_and_text_fits_inside(name: str) -> None:
    fig = draw_flow(FLOWS[name]())
    boxes = patches(fig)
    assert len(boxes) >= 12  # 9 main boxes, a header and 3 phase bands at least
    for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2):
        overlap = (
            box_a.x0 < box_b.x1
            and box_b.x0 < box_a.x1
            and box_a.y0 < box_b.y1
            and box_b.y0 < box_a.y1
        )
        assert not overlap, f"{a} overlaps {b}"
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    areas = [p.get_window_extent(renderer) for p in ax.patches]
    for t in fig.findobj(matplotlib.text.Text):
        if not t.get_text().strip():
            continue
        ext = t.get_window_extent(renderer)
        inside = [
            a
            for a in areas
            if a.x0 <= ext.x0 and ext.x1 <= a.x1 and a.y0 <= ext.y0 and ext.y1 <= a.y1
        ]
        assert inside, f"text not inside any box: {t.get_text()!r}"
    # everything lies inside the figure, so nothing depends on bbox_inches="tight"
    page = fig.bbox
    for a in areas:
        assert page.x0 <= a.x0 and a.x1 <= page.x1 and page.y0 <= a.y0 and a.y1 <= page.y1
    plt.close(fig)


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_saved_files_are_valid_and_byte_identical(name: str, tmp_path: Path) -> None:
    outputs = []
    for run in (1, 2):
        svg, png = tmp_path / f"flow{run}.svg", tmp_path / f"flow{run}.png"
        figures.save(draw_flow(FLOWS[name]()), svg, png)
        outputs.append((svg.read_bytes(), png.read_bytes()))
    (svg_bytes, png_bytes), again = outputs
    assert again == (svg_bytes, png_bytes)
    root = ET.fromstring(svg_bytes)
    assert root.tag.endswith("svg")
    assert len(svg_bytes) > 20_000 and len(list(root.iter())) > 50
    assert b"clip-path" not in svg_bytes  # clip ids would be salted at save time
    width, height = png_size(png_bytes)
    assert 800 <= width <= 2400 and 800 <= height <= 4000
