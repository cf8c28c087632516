"""Step of ``rules/privacy.smk``: the gate that stops any identifier reaching an output."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.io import write_json
from analysis.steps._common import Paths

#: The row schemas the gate reads (``workflow/schemas/<kind>.schema.json``): an input of
#: that kind is skipped only in columns the schema closes (see :mod:`analysis.privacy`).
ROW_SCHEMAS = (
    "extraction",
    "prisma",
    "participants",
    "codebook",
    "segments",
    "stage_map",
    "stc_bank",
)


def gate_input_keys(inputs: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Every raw input ``config.inputs`` names, as ``<study>_<kind>`` (the stage map bare)
    -> (study, key): the gate scans all of them, before any clean step reads one."""
    keys: dict[str, tuple[str, str | None]] = {}
    for study, spec in inputs.items():
        if not isinstance(spec, Mapping):
            keys[study] = (study, None)
            continue
        for kind in ["qdpx"] if "qdpx" in spec else sorted(spec):
            keys[f"{study}_{kind}"] = (study, kind)
    return keys


def privacy_step(inp: Paths, out: Paths, data_dir: str = "") -> None:
    """Scan every raw input (each sheet, each REFI-QDA project) before anything else reads
    it; stop the build on any hit (:func:`analysis.privacy.scan_inputs` says what is scanned).

    ``inp["names"]``, when given, is the authors' private list of participants' real names;
    it is read here and never written anywhere.
    """
    from analysis import privacy

    inp = dict(inp)
    names_file = inp.pop("names", "")
    inp.pop("schemas", None)  # an input so that a schema change re-runs the gate
    names = privacy.load_name_list(names_file) if names_file else []
    findings, scanned = privacy.scan_inputs(inp, names=names, data_dir=data_dir)
    record = privacy.summary_record(findings, scanned)
    privacy.check(findings)
    write_json(record, out["record"])
