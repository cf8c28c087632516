"""The quotations bank: one illustrative meaning unit per subgroup.

Qualitative articles illustrate each subgroup with a participant's words. Choosing them by
hand after every rebuild would make the articles irreproducible, so the choice is a fixed,
documented rule (:data:`RULE`), applied to the primary coder's meaning units:

1. take the subgroup's code group with the most meaning units (ties: codebook order), since
   it carries the subgroup's most common content;
2. among its units, take the one whose length is closest to the median length of those
   units -- a typical statement, neither a fragment nor a monologue;
3. break ties by preferring the participant quoted least so far in the bank (so the bank
   spreads over voices), then by segment id; skip a text already quoted.

Quotations are labelled with the participant's pseudonymous label (and group, when the label
does not already say it), never with a name.
"""

from __future__ import annotations

import pandas as pd

RULE = (
    "For each subgroup, the meaning unit from its largest code group whose length is closest "
    "to the median length of that code group's units; ties go to the participant quoted "
    "least so far, then to the lowest segment id; a text already quoted is skipped."
)

COLUMNS = ["theme", "subtheme", "code", "segment_id", "participant_id", "quote_label",
           "text", "units"]


def quote_label(label: str, group: str) -> str:
    """'Manager 3, FG1'; 'Peer worker 2' when the label already names the group."""
    return label if group.lower() in label.lower() else f"{label}, {group}"


def quotation_bank(
    segments: pd.DataFrame, participants: pd.DataFrame, codebook: pd.DataFrame, group: str
) -> pd.DataFrame:
    """One quotation per subgroup, in codebook order, chosen by :data:`RULE`."""
    people = participants.set_index("participant_id")
    quoted: dict[str, int] = {}
    used: set[str] = set()
    rows = []
    for (theme, sub), codes in codebook.groupby(["theme", "subtheme"], sort=False):
        all_units = segments[(segments["theme"] == theme) & (segments["subtheme"] == sub)]
        in_sub = all_units[~all_units["text"].isin(used)]
        if in_sub.empty:
            continue
        counts = in_sub["code"].value_counts()
        order = list(codes["code"])
        code = min(counts.index, key=lambda c: (-int(counts[c]), order.index(c)))
        units = in_sub[in_sub["code"] == code]
        lengths = units["text"].str.len()
        median = float(lengths.median())
        best = min(
            units.itertuples(index=False),
            key=lambda u: (abs(len(u.text) - median), quoted.get(u.participant_id, 0),
                           u.segment_id),
        )
        quoted[best.participant_id] = quoted.get(best.participant_id, 0) + 1
        used.add(best.text)
        person = people.loc[best.participant_id]
        rows.append({"theme": theme, "subtheme": sub, "code": code,
                     "segment_id": best.segment_id, "participant_id": best.participant_id,
                     "quote_label": quote_label(str(person["label"]), str(person[group])),
                     "text": best.text, "units": len(all_units)})
    return pd.DataFrame(rows, columns=COLUMNS)
