"""The review's category vocabulary, in the order every table shows it.

Role categories and service-cycle stages are the study's analytic frame (Åkerblom & Ness,
2023; Bovaird & Loeffler; Voorberg et al., 2015); beneficiaries are the charting sheet's
outcome groups. The JSON schemas in ``workflow/schemas/`` enforce the same values on input.
"""

ROLE_CATEGORIES = ("pre-determined services", "peer support", "co-creation partner")
STAGES = ("co-commissioning", "co-design", "co-delivery", "co-assessment")
EARLY_STAGES = ("co-commissioning", "co-design")
"""The stages in which taking part makes peer workers partners in co-creation."""
BENEFICIARIES = ("service users", "peer workers", "professionals", "organisation")

#: Figure titles and axis labels, by figure (the captions are in the documents).
FIGURE_TEXT: dict[str, dict[str, str]] = {
    "s1-role-stage": {
        "title": "Articles by role category and service-cycle stage",
        "xlabel": "Service-cycle stage",
    },
    "s1-years": {
        "title": "Included articles per publication year",
        "xlabel": "Publication year",
        "ylabel": "Articles",
    },
    "study2-groups": {
        "title": "Meaning units per theme, by focus group",
        "ylabel": "Meaning units",
    },
    "study3-groups": {
        "title": "Meaning units per finding, by participant group",
        "ylabel": "Meaning units",
    },
    "synthesis": {"title": "Share of each study's evidence per service-cycle stage (%)"},
}
#: Legend of the publication-year bars: articles without / with an early (co-creation) stage.
YEAR_BAR_LABELS: tuple[str, str] = ("no co-creation stage", "co-commissioning or co-design")
