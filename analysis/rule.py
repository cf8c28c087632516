"""The edge between Snakemake and :mod:`analysis.steps`.

A rule's script calls :func:`run` once; it sends the step's log messages to the rule's log
file, passes the named inputs, outputs and params, and on failure writes the one-line reason
to the log before re-raising so Snakemake shows it and stops.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any


def run(step: Callable[..., None], smk: Any, **extra: Any) -> None:
    """Call ``step(inputs, outputs, **params, **extra)`` with the rule's named files."""
    log_path = Path(smk.log[0]) if len(smk.log) else None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level=logging.INFO,
        handlers=handlers,
        force=True,
        format="%(levelname)s %(name)s: %(message)s",
    )
    params = {k: v for k, v in smk.params.items()}
    try:
        step(dict(smk.input.items()), dict(smk.output.items()), **params, **extra)
    except Exception as exc:
        logging.getLogger(step.__module__).error("%s failed:\n%s", step.__name__, exc)
        if log_path:
            with log_path.open("a", encoding="utf-8") as f:
                traceback.print_exc(file=f)
        raise SystemExit(1) from exc
    logging.getLogger(step.__module__).info("%s done", step.__name__)
