"""The build environment: one definition of the determinism variables.

The Makefile (``make`` reads ``python3 -m compendium.buildenv --make``), the staged build
(:mod:`compendium.build`), the offline rebuild (:mod:`compendium.verify`) and the tests all
use :data:`DETERMINISM` with one precedence: **these values win** over the caller's
environment. Why: the committed manifest (``results.sha256``) records the bytes of a build
with exactly these values (timestamps of the public defence, 27 Sep 2024; hash seed; time
zone; locale; a display-free Matplotlib backend); a build that inherited a different
``SOURCE_DATE_EPOCH`` or locale from a shell would differ from it for no reason the reader
could see.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

DETERMINISM: dict[str, str] = {
    "SOURCE_DATE_EPOCH": "1727395200",
    "PYTHONHASHSEED": "0",
    "TZ": "UTC",
    "LC_ALL": "C.UTF-8",
    "MPLBACKEND": "Agg",
}


def deterministic(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`DETERMINISM` applied."""
    env = dict(os.environ if base is None else base)
    env.update(DETERMINISM)
    return env


def make_exports() -> str:
    """``KEY=VALUE`` words for the Makefile, which exports each of them."""
    return " ".join(f"{k}={v}" for k, v in DETERMINISM.items())


if __name__ == "__main__":  # pragma: no cover - used by the Makefile
    if sys.argv[1:] != ["--make"]:
        sys.exit("usage: python -m compendium.buildenv --make")
    print(make_exports())
