"""The grouped (vectorised) tallies equal a node-by-node reference, edge cases included,
and stay linear: 1,000,000 meaning units are what ``make bench`` times (``tallies_s``)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import tallies
from compendium.bench import segments_frame


def reference_hierarchy(
    seg: pd.DataFrame, parts: pd.DataFrame, cb: pd.DataFrame
) -> list[tuple[object, ...]]:
    """Every node and group by boolean masks: the definition, written the slow way."""
    seg = seg.merge(parts[["participant_id", "group"]], on="participant_id")
    seg = seg.assign(chars=seg["text"].str.len())
    nodes = []
    for theme in dict.fromkeys(cb["theme"]):
        nodes.append(("theme", theme, "", ""))
        sub_cb = cb[cb["theme"] == theme]
        for sub in dict.fromkeys(sub_cb["subtheme"]):
            nodes.append(("subgroup", theme, sub, ""))
            nodes += [
                ("code group", theme, sub, c) for c in sub_cb.loc[sub_cb["subtheme"] == sub, "code"]
            ]
    rows = []
    for g in ["all", *dict.fromkeys(parts["group"])]:
        gs = seg if g == "all" else seg[seg["group"] == g]
        total = int(gs["chars"].sum())
        of = len(parts) if g == "all" else int((parts["group"] == g).sum())
        for level, theme, sub, code in nodes:
            mask = (
                (gs["theme"] == theme)
                & ((gs["subtheme"] == sub) if sub else True)
                & ((gs["code"] == code) if code else True)
            )
            hit = gs[mask]
            rows.append(
                (
                    level,
                    theme,
                    sub,
                    code,
                    g,
                    len(hit),
                    hit["participant_id"].nunique(),
                    of,
                    round(100 * int(hit["chars"].sum()) / total, 1) if total else 0.0,
                )
            )
    return rows


EDGE_CODEBOOK = pd.DataFrame(
    {
        "theme": ["A", "A", "B", "C"],
        "subtheme": ["a1", "", "b1", "c1"],
        "code": ["x", "y", "", "z"],
        "description": [""] * 4,
    }
)
EDGE_PARTS = pd.DataFrame(
    {"participant_id": ["P1", "P2", "P3", "P4"], "group": ["g1", "g1", "g2", "g3"]}
)
EDGE_SEGMENTS = pd.DataFrame(
    {
        "segment_id": ["S1", "S2", "S3", "S4", "S5"],
        "participant_id": ["P1", "P2", "P3", "P1", "P9"],  # P9: no such participant
        "theme": ["A", "A", "B", "Z", "A"],  # Z: not in the codebook
        "subtheme": ["a1", "", "b1", "z", "a1"],
        "code": ["x", "y", "q", "z", "x"],
        "text": ["aa", "bbb", "c", "dddd", "e"],
    }
)


@pytest.mark.parametrize(
    "segments", [EDGE_SEGMENTS, EDGE_SEGMENTS.iloc[:0]], ids=["edge-cases", "no-units"]
)
def test_hierarchy_equals_the_node_by_node_reference(segments: pd.DataFrame) -> None:
    got = tallies.stc_hierarchy(segments, EDGE_PARTS, EDGE_CODEBOOK, "group")
    assert [tuple(r) for r in got.itertuples(index=False)] == reference_hierarchy(
        segments, EDGE_PARTS, EDGE_CODEBOOK
    )


def test_scaled_up_study_equals_the_reference() -> None:
    segments, parts, codebook = segments_frame(20_000)
    got = tallies.segment_tallies(segments, parts, codebook, "group")["hierarchy"]
    assert [tuple(r) for r in got.itertuples(index=False)] == reference_hierarchy(
        segments, parts, codebook
    )
    themes = tallies.segment_tallies(segments, parts, codebook, "group")["themes"]
    assert themes["segments"].sum() == len(segments)
