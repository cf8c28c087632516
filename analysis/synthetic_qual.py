"""Synthetic Studies 2 and 3: participants, meaning units, second coders and REFI-QDA projects.

Split from :mod:`analysis.synthetic` (issue #12's size rule); see there for what the synthetic
data are and why. Every meaning unit is a codebook phrase that a participant of its speaker's
role may say, so the systematic text condensation downstream works on plausible material.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.qdpx import stable_guid

CODER_PRIMARY = "coder A"
MODERATOR_LINES = (
    "Moderator: Can you say more about that?",
    "Moderator: How does that work in your service?",
    "Moderator: Could you give an example?",
)


def codebook_frame(codebook: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Flatten the nested YAML codebook into theme / subtheme / code rows."""
    rows = [
        {
            "theme": t["theme"],
            "subtheme": s["subtheme"],
            "code": c["code"],
            "description": f"Synthetic code group under '{s['subtheme']}'.",
        }
        for t in codebook
        for s in t["subthemes"]
        for c in s["codes"]
    ]
    return pd.DataFrame(rows, columns=["theme", "subtheme", "code", "description"])


def stage_map(codebooks: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """Service-cycle stage of every (study, theme, subtheme), for the synthesis frame."""
    rows = [
        {"study": study, "theme": t["theme"], "subtheme": s["subtheme"], "stage": s["stage"]}
        for study, cb in codebooks.items()
        for t in cb
        for s in t["subthemes"]
    ]
    return pd.DataFrame(rows, columns=["study", "theme", "subtheme", "stage"])


def _participants_study2(params: Mapping[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    k = 0
    for g, size in enumerate(params["focus_group_sizes"], start=1):
        for _ in range(int(size)):
            k += 1
            rows.append(
                {
                    "participant_id": f"M{k:02d}",
                    "label": f"Manager {k}",
                    "role": "manager",
                    "group": f"FG{g}",
                    "session": f"FG{g}",
                    "service_level": "specialist"
                    if rng.random() < float(params["specialist_share"])
                    else "municipal",
                }
            )
    return pd.DataFrame(rows)


def _participants_study3(params: Mapping[str, Any], rng: np.random.Generator) -> pd.DataFrame:
    prefix = {"manager": "MG", "health professional": "HP", "peer worker": "PW"}
    rows = []
    session = 0
    for role, size in params["group_sizes"].items():
        for i in range(1, int(size) + 1):
            session += 1
            rows.append(
                {
                    "participant_id": f"{prefix[role]}{i:02d}",
                    "label": f"{role.capitalize()} {i}",
                    "role": role,
                    "group": role,
                    "session": f"INT{session:02d}",
                    "service_level": "specialist"
                    if rng.random() < float(params["specialist_share"])
                    else "municipal",
                }
            )
    return pd.DataFrame(rows)


def check_phrase_roles(
    study: str, codebook: Sequence[Mapping[str, Any]], roles: Sequence[str]
) -> None:
    """Every phrase names its speakers' roles, each a role of the study's participants, and
    every role has something to say on every theme (else the generator could not follow the
    theme weights)."""
    problems = []
    for t in codebook:
        spoken: set[str] = set()
        for s in t["subthemes"]:
            if not str(s.get("condensate", "")).strip():
                problems.append(f"{study} subtheme {s['subtheme']!r} has no condensate")
            for c in s["codes"]:
                for ph in c["phrases"]:
                    if not isinstance(ph, Mapping) or not ph.get("roles") or not ph.get("text"):
                        problems.append(
                            f"{study} code {c['code']!r}: a phrase needs `text` and"
                            f" a non-empty list of `roles`, found {ph!r}"
                        )
                        continue
                    unknown = sorted(set(ph["roles"]) - set(roles))
                    if unknown:
                        problems.append(
                            f"{study} code {c['code']!r}: roles {unknown} are not"
                            f" participant roles of the study ({list(roles)})"
                        )
                    spoken |= set(ph["roles"])
        problems += [
            f"{study} theme {t['theme']!r}: no phrase a {r} may say"
            for r in roles
            if r not in spoken
        ]
    if problems:
        raise ValueError("config/synthetic-codebooks.yaml: " + "; ".join(problems))


def _pick(items: Sequence[Any], rng: np.random.Generator) -> Any:
    return items[int(rng.integers(len(items)))]


def _segments(
    study: str,
    participants: pd.DataFrame,
    codebook: Sequence[Mapping[str, Any]],
    theme_weights: Mapping[str, Sequence[float]] | Sequence[float],
    params: Mapping[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Meaning units: each participant speaks to themes in proportion to the weights, and
    only in phrases that a participant of their role may say (subgroup, code group and
    phrase drawn uniformly among those that hold such a phrase)."""
    lo, hi = params["segments_per_participant"]
    rows = []
    for p in participants.itertuples(index=False):
        weights = theme_weights[p.group] if isinstance(theme_weights, Mapping) else theme_weights
        w = np.asarray(weights, dtype=float)

        def says(ph: Mapping[str, Any], role: str = p.role) -> bool:
            return role in ph["roles"]

        for k in range(1, int(rng.integers(int(lo), int(hi) + 1)) + 1):
            theme = codebook[int(rng.choice(len(codebook), p=w / w.sum()))]
            sub = _pick(
                [
                    s
                    for s in theme["subthemes"]
                    if any(says(ph) for c in s["codes"] for ph in c["phrases"])
                ],
                rng,
            )
            code = _pick([c for c in sub["codes"] if any(says(ph) for ph in c["phrases"])], rng)
            text = _pick([ph["text"] for ph in code["phrases"] if says(ph)], rng)
            rows.append(
                {
                    "segment_id": f"{study}-{p.participant_id}-{k:02d}",
                    "participant_id": p.participant_id,
                    "session": p.session,
                    "theme": theme["theme"],
                    "subtheme": sub["subtheme"],
                    "code": code["code"],
                    "text": text,
                    "coder": CODER_PRIMARY,
                }
            )
    return pd.DataFrame(rows)


def stc_bank(codebooks: Mapping[str, Sequence[Mapping[str, Any]]]) -> pd.DataFrame:
    """The condensate of every subgroup and the speakers' roles allowed for every phrase.

    The quotations rule reads this sheet: it prints the condensates and refuses a quotation
    whose speaker's role the phrase does not allow. ``speakers`` of a condensate are the
    roles whose phrases it sums up.
    """
    rows = []
    for study, cb in codebooks.items():
        for t in cb:
            for s in t["subthemes"]:
                phrases = [(c["code"], ph) for c in s["codes"] for ph in c["phrases"]]
                roles = sorted({r for _, ph in phrases for r in ph["roles"]})
                rows.append(
                    {
                        "study": study,
                        "theme": t["theme"],
                        "subtheme": s["subtheme"],
                        "code": "",
                        "kind": "condensate",
                        "text": " ".join(str(s["condensate"]).split()),
                        "speakers": "; ".join(roles),
                    }
                )
                rows += [
                    {
                        "study": study,
                        "theme": t["theme"],
                        "subtheme": s["subtheme"],
                        "code": code,
                        "kind": "phrase",
                        "text": ph["text"],
                        "speakers": "; ".join(ph["roles"]),
                    }
                    for code, ph in phrases
                ]
    return pd.DataFrame(
        rows, columns=["study", "theme", "subtheme", "code", "kind", "text", "speakers"]
    )


def _second_codes(
    segments: pd.DataFrame,
    codebook: Sequence[Mapping[str, Any]],
    spec: Mapping[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Independent codings by the second (and third) coder of a random subset of units.

    Each extra coder agrees with the primary coder's code group with probability
    ``agreement``; otherwise they choose another code group, half the time within the same
    subgroup (the usual near-miss) and otherwise anywhere in the codebook.
    """
    paths = [
        (t["theme"], s["subtheme"], c["code"])
        for t in codebook
        for s in t["subthemes"]
        for c in s["codes"]
    ]
    n = len(segments)
    chosen = np.sort(rng.choice(n, size=round(n * float(spec["share"])), replace=False))
    rows = []
    for i in chosen:
        seg = segments.iloc[int(i)]
        own = (seg["theme"], seg["subtheme"], seg["code"])
        siblings = [p for p in paths if p[:2] == own[:2] and p != own]
        others = [p for p in paths if p != own]
        for coder in spec["coders"]:
            if rng.random() < float(spec["agreement"]):
                path = own
            elif siblings and rng.random() < 0.5:
                path = siblings[int(rng.integers(len(siblings)))]
            else:
                path = others[int(rng.integers(len(others)))]
            rows.append(
                {
                    "segment_id": seg["segment_id"],
                    "coder": coder,
                    "theme": path[0],
                    "subtheme": path[1],
                    "code": path[2],
                }
            )
    return pd.DataFrame(rows, columns=["segment_id", "coder", "theme", "subtheme", "code"])


def _gid(study: str, *parts: object) -> str:
    """A stable REFI-QDA GUID for one element of a study's synthetic project."""
    return stable_guid("synthetic", study, *parts)


def _code_tree(
    study: str, codebook: Sequence[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str], str]]:
    """Codebook rows (theme > subgroup > code group) and the GUID of every code group path."""
    code_rows, code_id = [], {}
    for t in codebook:
        tid = _gid(study, "code", t["theme"])
        code_rows.append(
            {
                "code_id": tid,
                "name": t["theme"],
                "parent_id": "",
                "codable": False,
                "description": "Theme.",
            }
        )
        for s in t["subthemes"]:
            sid = _gid(study, "code", t["theme"], s["subtheme"])
            code_rows.append(
                {
                    "code_id": sid,
                    "name": s["subtheme"],
                    "parent_id": tid,
                    "codable": False,
                    "description": "Subgroup (synthetic).",
                }
            )
            for c in s["codes"]:
                cid = _gid(study, "code", t["theme"], s["subtheme"], c["code"])
                code_id[(t["theme"], s["subtheme"], c["code"])] = cid
                code_rows.append(
                    {
                        "code_id": cid,
                        "name": c["code"],
                        "parent_id": sid,
                        "codable": True,
                        "description": f"Synthetic code group under '{s['subtheme']}'.",
                    }
                )
    return code_rows, code_id


def _transcripts(
    study: str,
    participants: pd.DataFrame,
    segments: pd.DataFrame,
    second: pd.DataFrame,
    code_id: Mapping[tuple[str, str, str], str],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, list[str]]]:
    """One transcript per session with its codings, and the selections each participant owns.

    The participants' meaning units in turn (round robin in a focus group), each after the
    speaker's id, a moderator's prompt after every third; each unit one selection coded by
    the primary coder and, if double-coded, by the other coders.
    """
    by_unit = {sid: g for sid, g in second.groupby("segment_id", sort=False)}
    sources, codings, owned = [], [], {p: [] for p in participants["participant_id"]}
    for session, people in participants.groupby("session", sort=True):
        segs = segments[segments["participant_id"].isin(people["participant_id"])].copy()
        segs["turn"] = segs.groupby("participant_id").cumcount()
        order = {p: i for i, p in enumerate(people["participant_id"])}
        segs = segs.assign(_p=segs["participant_id"].map(order)).sort_values(
            ["turn", "_p"], kind="mergesort"
        )
        source_id = _gid(study, "source", session)
        text = f"Transcript {session} (synthetic).\n"
        for n, seg in enumerate(segs.itertuples(index=False), start=1):
            head = f"{seg.participant_id}: "
            start = len(text) + len(head)
            text += head + seg.text + "\n"
            sel = _gid(study, "selection", seg.segment_id)
            owned[seg.participant_id].append(sel)
            extras = by_unit.get(seg.segment_id, pd.DataFrame()).itertuples(index=False)
            for c in [seg, *extras]:
                codings.append(
                    {
                        "selection_id": sel,
                        "source_id": source_id,
                        "start": start,
                        "end": start + len(seg.text),
                        "code_id": code_id[(c.theme, c.subtheme, c.code)],
                        "coder": c.coder,
                    }
                )
            if n % 3 == 0:
                text += MODERATOR_LINES[(n // 3) % len(MODERATOR_LINES)] + "\n"
        sources.append({"source_id": source_id, "name": session, "text": text})
    return sources, codings, owned


def _cases(study: str, participants: pd.DataFrame, owned: Mapping[str, list[str]]) -> pd.DataFrame:
    """Participants as cases: in focus groups they own their passages by SelectionRef, in
    interviews the whole transcript by SourceRef."""
    focus_groups = participants.groupby("session")["participant_id"].transform("size") > 1
    return pd.DataFrame(
        {
            "case_id": [_gid(study, "case", p) for p in participants["participant_id"]],
            "name": participants["participant_id"],
            **{c: participants[c] for c in ("label", "role", "group", "session", "service_level")},
            "source_ids": [
                "" if fg else _gid(study, "source", s)
                for fg, s in zip(focus_groups, participants["session"], strict=True)
            ],
            "selection_ids": [
                ";".join(owned[p]) if fg else ""
                for fg, p in zip(focus_groups, participants["participant_id"], strict=True)
            ],
        }
    )


def study_project(
    study: str,
    participants: pd.DataFrame,
    codebook: Sequence[Mapping[str, Any]],
    segments: pd.DataFrame,
    second: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The REFI-QDA tables of one study, as a qualitative-analysis program would export them.

    One transcript per session: the participants' meaning units in turn (round robin in a
    focus group), each on its own line after the speaker's pseudonymous id, with a
    moderator's prompt after every third contribution. Every meaning unit is one
    PlainTextSelection coded by the primary coder at its code group (theme > subgroup >
    code group nesting); the double-coded subset carries the other coders' codings on the
    same selection. Cases are participants with their variables; in focus groups they own
    their passages by SelectionRef, in interviews the whole transcript by SourceRef.
    """
    code_rows, code_id = _code_tree(study, codebook)
    sources, codings, owned = _transcripts(study, participants, segments, second, code_id)
    variables = pd.DataFrame(
        {
            "name": ["label", "role", "group", "session", "service_level"],
            "description": [
                "pseudonymous label used in quotations",
                "participant's role",
                "focus group or participant group",
                "focus group or interview",
                "municipal or specialist services",
            ],
        }
    )
    return {
        "codebook": pd.DataFrame(code_rows),
        "sources": pd.DataFrame(sources),
        "codings": pd.DataFrame(codings),
        "cases": _cases(study, participants, owned),
        "variables": variables,
    }


def qualitative_projects(
    params: Mapping[str, Any], codebooks: Mapping[str, Any], rng: np.random.Generator
) -> dict[str, dict[str, pd.DataFrame]]:
    """The REFI-QDA projects of Studies 2 and 3, keyed by their path below ``data/synthetic/``.

    Draws from ``rng`` after Study 1 (participants and meaning units of Study 2, then of
    Study 3), so the shared random stream, and with it every record, stays as it was.
    """
    pub = params["published"]
    s2p = _participants_study2(params["study2"], rng)
    if (
        len(s2p) != pub["study2"]["managers"]
        or s2p["group"].nunique() != pub["study2"]["focus_groups"]
    ):
        raise ValueError("study2.focus_group_sizes must give the published 17 managers in 4 groups")
    check_phrase_roles("study2", codebooks["study2"], sorted(set(s2p["role"])))
    s2s = _segments(
        "S2", s2p, codebooks["study2"], params["study2"]["theme_weights"], params["study2"], rng
    )
    s3p = _participants_study3(params["study3"], rng)
    if list(params["study3"]["group_sizes"]) != list(pub["study3"]["groups"]):
        raise ValueError("study3.group_sizes must name the three published participant groups")
    check_phrase_roles("study3", codebooks["study3"], list(params["study3"]["group_sizes"]))
    s3s = _segments(
        "S3", s3p, codebooks["study3"], params["study3"]["theme_weights"], params["study3"], rng
    )
    # the double-coded subsets draw from their own stream, so the primary coding stays put
    rel_rng = np.random.default_rng([int(params["seed"]), 2])
    projects = {}
    for study, parts, segs in (("study2", s2p, s2s), ("study3", s3p, s3s)):
        second = _second_codes(segs, codebooks[study], params[study]["second_coding"], rel_rng)
        projects[f"{study}/{study}.qdpx"] = study_project(
            study, parts, codebooks[study], segs, second
        )
    return projects
