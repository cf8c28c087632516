"""Steps of ``rules/verify.smk``: the published facts recomputed (the claims check, in
:mod:`analysis.claims`) and the run record a reviewer needs to rebuild this run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.io import write_csv, write_yaml
from analysis.steps._common import Paths


def software_rows() -> list[tuple[str, str]]:
    """pandoc's version and every installed distribution's (lowercase name, version)."""
    from importlib import metadata

    import pypandoc

    packages = sorted({(d.metadata["Name"].lower(), d.version) for d in metadata.distributions()})
    return [("pandoc (pypandoc-binary)", pypandoc.get_pandoc_version()), *packages]


def run_record_step(inp: Paths, out: Paths, config: Mapping[str, Any]) -> None:
    """The run's configuration (already redacted by :func:`privacy.public_config`) and the
    versions of every installed package and of pandoc."""
    import pandas as pd

    write_yaml(dict(config), out["config"])
    write_csv(pd.DataFrame(software_rows(), columns=["software", "version"]), out["software"])


def claims_step(inp: Paths, out: Paths, exploratory: bool) -> None:
    """The claims check (:func:`analysis.claims.claims_step`), so every rule of
    ``verify.smk`` has its step here."""
    from analysis.claims import claims_step as check

    check(inp, out, exploratory=exploratory)
