"""Systematic text condensation reporting: condensates and quotations per subgroup.

Malterud's systematic text condensation reports each subgroup by its *condensate* (an
"artificial quotation" that sums up the subgroup's meaning units, in the participants'
voice) and two to four illustrative quotations, each labelled with a pseudonym and the
speaker's group. The condensates are the analysts' writing and come from the STC sheet
(``stc-bank.csv``); the quotations are chosen by a fixed, documented rule (:data:`RULE`)
so that the articles stay reproducible, applied to the primary coder's meaning units.

On synthetic data the STC sheet also names, for every synthetic phrase, the participant
roles that may say it: a manager cannot voice a peer worker's "my job description is
short". :func:`check_speakers` refuses any meaning unit spoken by a participant whose role
its phrase does not allow, so a misattributed quotation stops the build instead of reaching
an article.
"""

from __future__ import annotations

import pandas as pd

from analysis.masking import mask
from analysis.validate import InputError, Problem

MIN_QUOTES, TARGET_QUOTES, MAX_QUOTES = 2, 3, 4
"""Quotations per subgroup: two to four, as Malterud recommends for a results section."""

RULE = (
    "For each subgroup, three meaning units (four when it has four or more code groups with "
    "units, and never fewer than two): taken in turn from its code groups, largest code group "
    "first (ties in codebook order), returning to the largest when the code groups run out. "
    "Within a code group, the unit whose "
    "length is closest to the median length of that code group's units; ties go to a "
    "speaker from a group not yet quoted in the subgroup, then to the participant quoted "
    "least so far, then to the lowest segment id; a text already quoted is skipped."
)

COLUMNS = [
    "theme",
    "subtheme",
    "code",
    "segment_id",
    "participant_id",
    "role",
    "group",
    "quote_label",
    "text",
]
CONDENSATE_COLUMNS = ["theme", "subtheme", "condensate", "units", "voiced_by", "of", "by_group"]


def quote_label(label: str, group: str) -> str:
    """'Manager 3, FG1'; 'Peer worker 2' when the label already names the group."""
    return label if group.lower() in label.lower() else f"{label}, {group}"


def _roles(cell: object) -> set[str]:
    return {r.strip() for r in str(cell).split(";") if r.strip()}


def check_speakers(
    segments: pd.DataFrame, participants: pd.DataFrame, bank: pd.DataFrame, label: str
) -> None:
    """Refuse every meaning unit whose speaker's role its phrase does not allow.

    Applies when the STC sheet has phrase rows (synthetic data); a meaning unit whose text is
    not a phrase of its code group is refused too, since nothing then vouches for its
    speaker. Real data have no phrase rows: the speaker is whoever said the words.
    """
    phrases = bank[bank["kind"] == "phrase"]
    if phrases.empty:
        return
    allowed = {
        (r.theme, r.subtheme, r.code, r.text): _roles(r.speakers)
        for r in phrases.itertuples(index=False)
    }
    role = dict(zip(participants["participant_id"], participants["role"], strict=True))
    problems = []
    for i, u in enumerate(segments.itertuples(index=False), start=2):
        roles = allowed.get((u.theme, u.subtheme, u.code, u.text))
        speaker = role.get(u.participant_id, "")
        if roles is None:
            problems.append(
                Problem(
                    label,
                    i,
                    "text",
                    f'"{mask(u.text)}" in code group {u.code!r}',
                    "a phrase of that code group in the STC sheet, which names who may say it",
                )
            )
        elif speaker not in roles:
            problems.append(
                Problem(
                    label,
                    i,
                    "participant_id",
                    f'meaning unit {u.segment_id} ("{mask(u.text)}") spoken by '
                    f"{u.participant_id}, a {speaker or 'participant without a role'}",
                    f"a speaker whose role the phrase allows ({', '.join(sorted(roles))})",
                    "a quotation would credit a phrase to the wrong group; regenerate the "
                    "synthetic data or correct the phrase's roles in the STC sheet",
                )
            )
    if problems:
        raise InputError(problems)


def _pick(units: pd.DataFrame, quoted: dict[str, int], groups_here: set[str]):
    """The unit closest to the median length, by the tie-breaks of :data:`RULE`."""
    median = float(units["text"].str.len().median())
    return min(
        units.itertuples(index=False),
        key=lambda u: (
            abs(len(u.text) - median),
            u.group in groups_here,
            quoted.get(u.participant_id, 0),
            u.segment_id,
        ),
    )


def _subgroup_quotes(
    units: pd.DataFrame, order: list[str], quoted: dict[str, int], used: set[str]
) -> list:
    """Two to four quotations of one subgroup (see :data:`RULE`)."""
    counts = units["code"].value_counts()
    codes = sorted(counts.index, key=lambda c: (-int(counts[c]), order.index(c)))
    plan = (codes * TARGET_QUOTES)[: max(TARGET_QUOTES, min(MAX_QUOTES, len(codes)))]
    chosen, groups_here = [], set()
    for code in plan:
        free = units[(units["code"] == code) & ~units["text"].isin(used)]
        if free.empty:
            continue
        best = _pick(free, quoted, groups_here)
        chosen.append(best)
        used.add(best.text)
        groups_here.add(best.group)
        quoted[best.participant_id] = quoted.get(best.participant_id, 0) + 1
    return chosen


def _voices(units: pd.DataFrame, participants: pd.DataFrame, group: str) -> str:
    """'FG1: 3 of 5; FG2: 4 of 4': who voiced the subgroup, group by group."""
    parts = []
    for g in dict.fromkeys(participants[group]):
        members = participants.loc[participants[group] == g, "participant_id"]
        spoke = units.loc[units["group"] == g, "participant_id"].nunique()
        parts.append(f"{g}: {spoke} of {len(members)}")
    return "; ".join(parts)


def _quote_rows(theme: str, sub: str, chosen: list, people: pd.DataFrame) -> list[dict]:
    """The quotation-bank rows of one subgroup's chosen meaning units, labelled by speaker."""
    return [
        {
            "theme": theme,
            "subtheme": sub,
            "code": q.code,
            "segment_id": q.segment_id,
            "participant_id": q.participant_id,
            "role": q.role,
            "group": q.group,
            "quote_label": quote_label(str(people.loc[q.participant_id, "label"]), str(q.group)),
            "text": q.text,
        }
        for q in chosen
    ]


def condensation_report(
    segments: pd.DataFrame,
    participants: pd.DataFrame,
    codebook: pd.DataFrame,
    bank: pd.DataFrame,
    group: str,
    label: str = "the meaning units",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per subgroup, in codebook order: its condensate and voices, and its quotations.

    Raises :class:`InputError` when a subgroup has no condensate in the STC sheet, when a
    speaker's role is not one its phrase allows (:func:`check_speakers`), or when a subgroup
    has fewer than two distinct meaning units to quote.
    """
    check_speakers(segments, participants, bank, label)
    people = participants.set_index("participant_id")
    seg = segments.assign(
        group=segments["participant_id"].map(people[group]),
        role=segments["participant_id"].map(people["role"]),
    )
    condensates = {
        (r.theme, r.subtheme): r.text
        for r in bank[bank["kind"] == "condensate"].itertuples(index=False)
    }
    quoted: dict[str, int] = {}
    used: set[str] = set()
    rows, subs, problems = [], [], []
    for (theme, sub), codes in codebook.groupby(["theme", "subtheme"], sort=False):
        units = seg[(seg["theme"] == theme) & (seg["subtheme"] == sub)]
        if (theme, sub) not in condensates:
            problems.append(
                Problem(
                    "STC sheet",
                    None,
                    "condensate",
                    None,
                    f"a condensate row for subgroup {sub!r} of theme {theme!r}",
                )
            )
            continue
        chosen = _subgroup_quotes(units, list(codes["code"]), quoted, used)
        if len(chosen) < MIN_QUOTES:
            problems.append(
                Problem(
                    label,
                    None,
                    "text",
                    f"{len(chosen)} distinct meaning unit(s) to quote in subgroup {sub!r}",
                    f"at least {MIN_QUOTES} (STC reports 2-4 quotations per subgroup)",
                )
            )
        subs.append(
            {
                "theme": theme,
                "subtheme": sub,
                "condensate": condensates[(theme, sub)],
                "units": len(units),
                "voiced_by": units["participant_id"].nunique(),
                "of": len(participants),
                "by_group": _voices(units, participants, group),
            }
        )
        rows += _quote_rows(theme, sub, chosen, people)
    if problems:
        raise InputError(problems)
    return (pd.DataFrame(subs, columns=CONDENSATE_COLUMNS), pd.DataFrame(rows, columns=COLUMNS))
