"""Deterministic synthetic record-level data for the three studies.

The interview and focus-group data are confidential and the review's extraction sheet is not
published, so the compendium runs on synthetic records. They are generated here from a seeded
random generator and two parameter files (``config/synthetic.yaml`` and
``config/synthetic-codebooks.yaml``) and are constrained to reproduce every published fact
(172 of 13,178 screened articles included, 10 databases, peer support the most common role and
co-creation partners rare, 17 managers in 4 focus groups, the published themes...). Everything
the record does not publish is a parameter in those files, documented as a synthetic choice.

Run ``python -m analysis.synthetic`` (``make synthetic``) to rewrite ``data/synthetic/``;
regeneration is byte-identical.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from analysis.categories import BENEFICIARIES, EARLY_STAGES, ROLE_CATEGORIES, STAGES
from analysis.io import write_csv
from analysis.qdpx import stable_guid, write_qdpx

PEER_TITLES = (
    "peer support worker",
    "peer specialist",
    "consumer provider",
    "expert by experience",
    "recovery coach",
    "peer navigator",
    "peer mentor",
    "lived experience worker",
    "erfaringskonsulent",
)
CODER_PRIMARY = "coder A"
DEFENCE_EPOCH = 1727395200
"""The public defence (27 Sep 2024): the time stamped in the shipped ``.qdpx`` archives, so
regeneration is byte-identical whatever the caller's ``SOURCE_DATE_EPOCH``."""
MODERATOR_LINES = (
    "Moderator: Can you say more about that?",
    "Moderator: How does that work in your service?",
    "Moderator: Could you give an example?",
)


@dataclass(frozen=True)
class SyntheticData:
    """All synthetic tables, keyed by their path below ``data/synthetic/``.

    ``projects`` holds the REFI-QDA tables (keyword arguments of
    :func:`analysis.qdpx.write_qdpx`) of the studies shipped as ``.qdpx``.
    """

    tables: dict[str, pd.DataFrame]
    projects: dict[str, dict[str, pd.DataFrame]]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder).

    Used wherever a published total must be met exactly while the split is synthetic.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or w.min() < 0 or w.sum() <= 0:
        raise ValueError(f"cannot allocate {total} over weights {list(weights)}")
    exact = total * w / w.sum()
    parts = np.floor(exact).astype(int)
    short = total - int(parts.sum())
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return [int(p) for p in parts]


def _choice(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> list[str]:
    keys = list(weights)
    p = np.asarray([weights[k] for k in keys], dtype=float)
    return [keys[i] for i in rng.choice(len(keys), size=n, p=p / p.sum())]


def _year_weights(years: Sequence[int], growth: float) -> np.ndarray:
    w = np.exp(growth * (np.asarray(years) - years[0]))
    return w / w.sum()


def prisma_counts(params: Mapping[str, Any], published: Mapping[str, Any]) -> pd.DataFrame:
    """PRISMA 2020 counts consistent with the published screened and included totals."""
    dbs = list(published["databases"])
    per_db = allocate(int(params["records_identified"]), params["database_weights"])
    if len(per_db) != len(dbs):
        raise ValueError("study1.database_weights needs one weight per published database")
    other = {str(k): int(v) for k, v in params["other_sources"].items()}
    removed_other = int(params["removed_other"])
    screened = int(published["screened"])
    identified = sum(per_db) + sum(other.values())
    duplicates = identified - removed_other - screened
    sought = int(params["reports_sought"])
    assessed = sought - int(params["not_retrieved"])
    reasons = {str(k): int(v) for k, v in params["exclusion_reasons"].items()}
    included = assessed - sum(reasons.values())
    if duplicates < 0 or included != int(published["included"]):
        raise ValueError(
            f"synthetic PRISMA parameters give {included} included and {duplicates} duplicates;"
            f" the published total is {published['included']} included"
        )
    rows: list[tuple[str, str, int]] = [
        ("identified_database", db, n) for db, n in zip(dbs, per_db, strict=True)
    ]
    rows += [("identified_other", k, v) for k, v in other.items()]
    rows += [
        ("removed_duplicates", "", duplicates),
        ("removed_other", "", removed_other),
        ("screened", "", screened),
        ("excluded_screening", "", screened - sought),
        ("sought", "", sought),
        ("not_retrieved", "", int(params["not_retrieved"])),
        ("assessed", "", assessed),
    ]
    rows += [("excluded_reason", k, v) for k, v in reasons.items()]
    rows.append(("included", "", included))
    return pd.DataFrame(rows, columns=["stage", "item", "n"])


def _stages_for(role: str, rng: np.random.Generator, params: Mapping[str, Any]) -> list[str]:
    """Service-cycle stages for one article.

    Partners in co-creation take part in an early stage (co-commissioning or co-design) *and
    then* in implementing or delivering the solution: that is the definition of co-creation
    the review uses, so co-delivery is always among their stages. The two co-production roles
    deliver, and occasionally assess or (peer support) help design.
    """
    stages: set[str] = set()
    if role == "co-creation partner":
        p = params["cocreation_stages"]
        early = [s for s in EARLY_STAGES if rng.random() < float(p[s])]
        stages.update(early or ["co-design"])
        stages.add("co-delivery")
        # This draw once decided co-delivery; it is still taken so that the shared random
        # stream, and with it every later Study 2 and 3 record, stays as it was.
        rng.random()
        if rng.random() < float(p["co-assessment"]):
            stages.add("co-assessment")
    else:
        stages.add("co-delivery")
        if rng.random() < float(params["p_coassessment"]):
            stages.add("co-assessment")
        if role == "peer support" and rng.random() < float(params["p_codesign_other"]):
            stages.add("co-design")
    return [s for s in STAGES if s in stages]


def cocreation_violations(sheet: pd.DataFrame) -> list[str]:
    """Rows of a charting sheet whose co-creation partners break the definition.

    Co-creation means taking part in an early stage of the service cycle (co-commissioning or
    co-design) and then in implementing or delivering the solution (co-delivery); a partner in
    co-creation without both contradicts the category. Returns one message per bad row.
    """
    problems = []
    for i, row in enumerate(sheet.itertuples(index=False), start=2):  # row 1 is the header
        if row.role_category != "co-creation partner":
            continue
        stages = {s.strip() for s in str(row.stages).split(";") if s.strip()}
        missing = []
        if not stages & set(EARLY_STAGES):
            missing.append("an early stage (co-commissioning or co-design)")
        if "co-delivery" not in stages:
            missing.append("co-delivery")
        if missing:
            problems.append(
                f"row {i} ({row.article_id}): a co-creation partner without {' or '.join(missing)}"
            )
    return problems


def extraction_sheet(
    params: Mapping[str, Any], published: Mapping[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    """One row per included article, shaped like a scoping review's charting sheet."""
    n = int(published["included"])
    optional = {"co-commissioning", "co-design", "co-assessment"}
    given = set(params.get("cocreation_stages") or {})
    if given != optional:
        raise ValueError(
            "config/synthetic.yaml study1.cocreation_stages must give a probability for exactly "
            f"{sorted(optional)} (co-delivery is not optional for partners in co-creation); "
            f"got {sorted(given)}"
        )
    roles: list[str] = []
    for role, k in zip(
        ROLE_CATEGORIES,
        allocate(n, [params["role_shares"][r] for r in ROLE_CATEGORIES]),
        strict=True,
    ):
        roles += [role] * k
    lo, hi = params["years"]
    years = list(range(int(lo), int(hi) + 1))
    growth = float(params["year_growth"])
    base = _year_weights(years, growth)
    late = _year_weights(years, growth + float(params["cocreation_extra_growth"]))
    rows = []
    for role in roles:
        p = late if role == "co-creation partner" else base
        outcomes = [b for b in BENEFICIARIES if rng.random() < float(params["outcomes"][b])]
        rows.append(
            {
                "year": int(rng.choice(years, p=p)),
                "country": _choice(rng, params["countries"], 1)[0],
                "design": _choice(rng, params["designs"], 1)[0],
                "sector": _choice(rng, params["sectors"], 1)[0],
                "setting": _choice(rng, params["settings"], 1)[0],
                "peer_title": PEER_TITLES[int(rng.integers(len(PEER_TITLES)))],
                "role_category": role,
                "stages": "; ".join(_stages_for(role, rng, params)),
                "outcomes": "; ".join(outcomes),
                "_key": float(rng.random()),
            }
        )
    df = pd.DataFrame(rows).sort_values(["year", "_key"], kind="mergesort").drop(columns="_key")
    df.insert(0, "article_id", [f"S1-{i:03d}" for i in range(1, n + 1)])
    df.insert(1, "first_author", [f"Author {i:03d}" for i in range(1, n + 1)])
    df = df.reset_index(drop=True)
    if problems := cocreation_violations(df):
        raise ValueError(
            "config/synthetic.yaml study1 gives co-creation partners that break the"
            " definition of co-creation: " + "; ".join(problems[:5])
        )
    return df


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

    def gid(*parts: object) -> str:
        return stable_guid("synthetic", study, *parts)

    code_rows, code_id = [], {}
    for t in codebook:
        tid = gid("code", t["theme"])
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
            sid = gid("code", t["theme"], s["subtheme"])
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
                cid = gid("code", t["theme"], s["subtheme"], c["code"])
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
    by_unit = {sid: g for sid, g in second.groupby("segment_id", sort=False)}
    sources, codings, owned = [], [], {p: [] for p in participants["participant_id"]}
    for session, people in participants.groupby("session", sort=True):
        segs = segments[segments["participant_id"].isin(people["participant_id"])].copy()
        segs["turn"] = segs.groupby("participant_id").cumcount()
        order = {p: i for i, p in enumerate(people["participant_id"])}
        segs = segs.assign(_p=segs["participant_id"].map(order)).sort_values(
            ["turn", "_p"], kind="mergesort"
        )
        source_id = gid("source", session)
        text = f"Transcript {session} (synthetic).\n"
        for n, seg in enumerate(segs.itertuples(index=False), start=1):
            head = f"{seg.participant_id}: "
            start = len(text) + len(head)
            text += head + seg.text + "\n"
            sel = gid("selection", seg.segment_id)
            owned[seg.participant_id].append(sel)
            path = (seg.theme, seg.subtheme, seg.code)
            codings.append(
                {
                    "selection_id": sel,
                    "source_id": source_id,
                    "start": start,
                    "end": start + len(seg.text),
                    "code_id": code_id[path],
                    "coder": seg.coder,
                }
            )
            for extra in by_unit.get(seg.segment_id, pd.DataFrame()).itertuples(index=False):
                codings.append(
                    {
                        "selection_id": sel,
                        "source_id": source_id,
                        "start": start,
                        "end": start + len(seg.text),
                        "code_id": code_id[(extra.theme, extra.subtheme, extra.code)],
                        "coder": extra.coder,
                    }
                )
            if n % 3 == 0:
                text += MODERATOR_LINES[(n // 3) % len(MODERATOR_LINES)] + "\n"
        sources.append({"source_id": source_id, "name": session, "text": text})
    focus_groups = participants.groupby("session")["participant_id"].transform("size") > 1
    cases = pd.DataFrame(
        {
            "case_id": [gid("case", p) for p in participants["participant_id"]],
            "name": participants["participant_id"],
            **{c: participants[c] for c in ("label", "role", "group", "session", "service_level")},
            "source_ids": [
                "" if fg else gid("source", s)
                for fg, s in zip(focus_groups, participants["session"], strict=True)
            ],
            "selection_ids": [
                ";".join(owned[p]) if fg else ""
                for fg, p in zip(focus_groups, participants["participant_id"], strict=True)
            ],
        }
    )
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
        "cases": cases,
        "variables": variables,
    }


def generate(params: Mapping[str, Any], codebooks: Mapping[str, Any]) -> SyntheticData:
    """Build every synthetic table from the parameters; pure and deterministic."""
    rng = np.random.default_rng(int(params["seed"]))
    pub = params["published"]
    s1 = extraction_sheet(params["study1"], pub["study1"], rng)
    prisma = prisma_counts(params["study1"], pub["study1"])

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
    return SyntheticData(
        tables={
            "study1/extraction.csv": s1,
            "study1/prisma.csv": prisma,
            "stage-map.csv": stage_map(codebooks),
            "stc-bank.csv": stc_bank(codebooks),
        },
        projects=projects,
    )


def load_parameters(params_path: Path, codebooks_path: Path) -> tuple[dict, dict]:
    """Read the two YAML parameter files (kept apart: numbers vs. words)."""
    params = yaml.safe_load(params_path.read_text(encoding="utf-8"))
    codebooks = yaml.safe_load(codebooks_path.read_text(encoding="utf-8"))
    return params, codebooks


def write(data: SyntheticData, outdir: Path) -> list[Path]:
    """Write every table as UTF-8 CSV with LF endings and every project as ``.qdpx``."""
    written = []
    for rel in sorted(data.tables):
        path = outdir / rel
        write_csv(data.tables[rel], path)
        written.append(path)
    for rel in sorted(data.projects):
        path = outdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        written.append(
            write_qdpx(
                path,
                **data.projects[rel],
                origin="peerwork-compendium synthetic data",
                name=Path(rel).stem,
                source_date_epoch=DEFENCE_EPOCH,
            )
        )
    return written


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", type=Path, default=Path("config/synthetic.yaml"))
    ap.add_argument("--codebooks", type=Path, default=Path("config/synthetic-codebooks.yaml"))
    ap.add_argument("--out", type=Path, default=Path("data/synthetic"))
    args = ap.parse_args(argv)
    params, codebooks = load_parameters(args.params, args.codebooks)
    for path in write(generate(params, codebooks), args.out):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
