"""The one masking function for every message that can quote input text.

Validation, the privacy gate, the REFI-QDA reader and the claims check all quote what they
found through :func:`mask`, so no terminal, log or staged file ever holds an unmasked
identifier, whichever check catches a problem first.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"\w+")
_LIMIT = 40


def _mask_word(word: str) -> str:
    if any(ch.isdigit() for ch in word):
        return "•" * len(word)  # numbers carry identity numbers and phone numbers: all hidden
    return word[0] + "•" * (len(word) - 1)


def mask(value: object, limit: int = _LIMIT) -> str:
    """``value`` with every digit hidden and every word cut to its first letter.

    The shape stays (length, spacing, punctuation), which is what a reader needs to find the
    cell; the content does not. Long values are cut to ``limit`` characters.
    """
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(
        " " if unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} else ch for ch in text
    )
    masked = _WORD.sub(lambda m: _mask_word(m.group()), text)
    return masked if len(masked) <= limit else masked[: limit - 1] + "…"
