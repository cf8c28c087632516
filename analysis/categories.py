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
