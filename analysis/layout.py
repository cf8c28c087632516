"""Names the workflow and the analysis share: studies, documents, tallies, input keys.

One definition each, read by the Snakemake rules (``workflow/rules/*.smk``) and by the step
functions (:mod:`analysis.steps`), so a study or a table added here reaches every rule that
lists them. Imports nothing heavy: every rule file and every job reads it.
"""

from __future__ import annotations

#: The qualitative studies (REFI-QDA projects or CSV trios), in report order.
QUAL_STUDIES: tuple[str, ...] = ("study2", "study3")
#: The four documents the compendium renders.
DOCUMENTS: tuple[str, ...] = ("article1", "article2", "article3", "thesis")
#: The executed notebooks (one per study and the synthesis).
NOTEBOOKS: tuple[str, ...] = ("study1", *QUAL_STUDIES, "synthesis")
#: Study 1's tallies, one CSV each under ``results/tallies/study1/``.
STUDY1_TALLIES: tuple[str, ...] = (
    "role",
    "stage",
    "outcomes",
    "country",
    "period",
    "year",
    "design",
    "sector",
    "setting",
    "role_stage",
    "sources",
)
#: A qualitative study's tallies, one CSV each under ``results/tallies/<study>/``.
QUAL_TALLIES: tuple[str, ...] = (
    "themes",
    "subthemes",
    "by_group",
    "coverage_by_group",
    "hierarchy",
)
#: What a participant group is called in each qualitative study's tables.
GROUP_LABEL: dict[str, str] = {"study2": "focus group", "study3": "participant group"}


def study_number(study: str) -> int:
    """``"study2"`` -> ``2``: the suffix of the assemble inputs' keys."""
    return int(study.removeprefix("study"))


def assemble_inputs() -> dict[str, str]:
    """The assemble rule's inputs by key; the provenance rule checksums the same files.

    Keys: ``prisma``, ``s1_<tally>``, ``role_ci``/``stage_ci``/``outcomes_ci``, ``model``,
    per qualitative study ``k``: ``s<k>_<tally>``, ``participants<k>``, ``segments<k>``,
    ``test<k>``, ``reliability<k>``, ``reliability_table<k>``, ``quotations<k>``; then
    ``matrix``, ``shares`` and ``checklists``.
    """
    nums = [study_number(s) for s in QUAL_STUDIES]
    keys: dict[str, str] = {"prisma": "results/clean/study1_prisma.csv"}
    keys |= {f"s1_{t}": f"results/tallies/study1/{t}.csv" for t in STUDY1_TALLIES}
    keys |= {f"{n}_ci": f"results/stats/study1/{n}_ci.csv" for n in ("role", "stage", "outcomes")}
    keys["model"] = "results/stats/study1/model.json"
    keys |= {f"s{k}_{t}": f"results/tallies/study{k}/{t}.csv" for k in nums for t in QUAL_TALLIES}
    per_study = {
        "participants": "results/clean/study{k}_participants.csv",
        "segments": "results/clean/study{k}_segments.csv",
        "test": "results/stats/study{k}/group_theme_test.json",
        "reliability": "results/stats/study{k}/reliability.json",
        "reliability_table": "results/stats/study{k}/reliability.csv",
        "quotations": "results/tallies/study{k}/quotations.csv",
    }
    for key, pattern in per_study.items():
        keys |= {f"{key}{k}": pattern.format(k=k) for k in nums}
    keys |= {
        "matrix": "results/synthesis/matrix.csv",
        "shares": "results/synthesis/shares.csv",
        "checklists": "config/checklists.yaml",
    }
    return keys


def figure_inputs() -> dict[str, str]:
    """Every figure the documents show, by input key (SVG for HTML/PDF, ``_png`` for DOCX)."""
    stems = {
        "s1_flow": "results/figures/s1-prisma-flow",
        "s1_role_stage": "results/figures/s1-role-stage",
        "s1_years": "results/figures/s1-years",
        **{f"s{study_number(s)}": f"results/figures/{s}-groups" for s in QUAL_STUDIES},
        "synthesis": "results/synthesis/synthesis",
    }
    keys: dict[str, str] = {}
    for key, stem in stems.items():
        keys[f"fig_{key}"] = f"{stem}.svg"
        keys[f"fig_{key}_png"] = f"{stem}.png"
    return keys


def notebook_inputs() -> dict[str, dict[str, str]]:
    """What each notebook reads, by the key its injected ``PATHS`` cell uses."""
    study1 = {
        "articles": "results/clean/study1_articles.csv",
        "role_ci": "results/stats/study1/role_ci.csv",
        "stage_ci": "results/stats/study1/stage_ci.csv",
        "role_stage": "results/tallies/study1/role_stage.csv",
        "model": "results/stats/study1/model.json",
    }
    qual = {
        s: {
            "participants": f"results/clean/{s}_participants.csv",
            "segments": f"results/clean/{s}_segments.csv",
            "themes": f"results/tallies/{s}/themes.csv",
            "subthemes": f"results/tallies/{s}/subthemes.csv",
            "by_group": f"results/tallies/{s}/by_group.csv",
            "test": f"results/stats/{s}/group_theme_test.json",
            "hierarchy": f"results/tallies/{s}/hierarchy.csv",
            "quotations": f"results/tallies/{s}/quotations.csv",
            "reliability": f"results/stats/{s}/reliability.json",
            "codings": f"results/clean/{s}_codings.csv",
        }
        for s in QUAL_STUDIES
    }
    return {
        "study1": study1,
        **qual,
        "synthesis": {
            "matrix": "results/synthesis/matrix.csv",
            "shares": "results/synthesis/shares.csv",
        },
    }
