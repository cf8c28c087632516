"""The *sammendrag*'s values: Norwegian (Bokmål) numbers, words and terms.

The thesis summary has a Norwegian abstract that reads the same generated values as the
English text; this module rewrites them once (digit grouping, decimal comma, small numbers
in words, role and stage terms) so no Norwegian number is typed by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analysis.assemble import ROLE_LABELS
from analysis.categories import ROLE_CATEGORIES, STAGES

_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?")
_WHOLE = re.compile(r"\d{1,3}(,\d{3})*|\d+")

NB_SMALL = (
    "null",
    "én",
    "to",
    "tre",
    "fire",
    "fem",
    "seks",
    "sju",
    "åtte",
    "ni",
    "ti",
    "elleve",
    "tolv",
)
"""Bokmål words for the numbers that Norwegian prose writes out (null to tolv)."""

NB_ROLES = {
    "pre-determined services": "ytere av forhåndsbestemte tjenester",
    "peer support": "ytere av likepersonsstøtte",
    "co-creation partner": "partnere i samskaping",
}
NB_STAGES = {
    "co-commissioning": "felles bestilling",
    "co-design": "felles utforming",
    "co-delivery": "felles tjenesteyting",
    "co-assessment": "felles evaluering",
}
NB_TERMS = {
    **{ROLE_LABELS[r]: NB_ROLES[r] for r in ROLE_CATEGORIES},
    **{s: NB_STAGES[s] for s in STAGES},
}
"""English label of a role category or service-cycle stage → its Norwegian term (built from
the shared category lists, so a renamed category fails here rather than staying English)."""


def norwegian_count(n: int) -> str:
    """A count as Norwegian prose writes it: 'ti', 'fire'; 13 178 (no-break space) above tolv."""
    if 0 <= n < len(NB_SMALL):
        return NB_SMALL[n]
    return f"{n:,}".replace(",", "\u00a0")


def norwegian(variables: Mapping[str, Any]) -> dict[str, Any]:
    """The same values for the *sammendrag*: Norwegian numbers, words and terms.

    Bokmål writes 13 178 (a no-break space groups thousands) and 12,5 (a decimal comma);
    only values that are numbers are rewritten, so names and ranges stay as they are. Every
    whole number also gets a ``<key>_words`` sibling (``databases_words``: 'ti'), small
    numbers in words and larger ones in digits, so the text reads right whatever the data.
    Role categories and service-cycle stages are given their Norwegian terms.
    """
    out: dict[str, Any] = {}
    for k, v in variables.items():
        if isinstance(v, Mapping):
            out[k] = norwegian(v)
        elif isinstance(v, str) and _NUMBER.fullmatch(v):
            out[k] = v.replace(",", "\u00a0").replace(".", ",")
            if _WHOLE.fullmatch(v):
                out[f"{k}_words"] = norwegian_count(int(v.replace(",", "")))
        elif isinstance(v, str) and v in NB_TERMS:
            out[k] = NB_TERMS[v]
        else:
            out[k] = v
    return out
