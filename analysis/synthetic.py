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

from analysis.io import write_csv
from analysis.qdpx import write_qdpx
from analysis.synthetic_qual import qualitative_projects, stage_map, stc_bank

# Re-exported: notebooks/study1.ipynb imports the co-creation check from analysis.synthetic.
from analysis.synthetic_study1 import cocreation_violations as cocreation_violations
from analysis.synthetic_study1 import extraction_sheet, prisma_counts

DEFENCE_EPOCH = 1727395200
"""The public defence (27 Sep 2024): the time stamped in the shipped ``.qdpx`` archives, so
regeneration is byte-identical whatever the caller's ``SOURCE_DATE_EPOCH``."""


@dataclass(frozen=True)
class SyntheticData:
    """All synthetic tables, keyed by their path below ``data/synthetic/``.

    ``projects`` holds the REFI-QDA tables (keyword arguments of
    :func:`analysis.qdpx.write_qdpx`) of the studies shipped as ``.qdpx``.
    """

    tables: dict[str, pd.DataFrame]
    projects: dict[str, dict[str, pd.DataFrame]]


def generate(params: Mapping[str, Any], codebooks: Mapping[str, Any]) -> SyntheticData:
    """Build every synthetic table from the parameters; pure and deterministic."""
    rng = np.random.default_rng(int(params["seed"]))
    pub = params["published"]
    s1 = extraction_sheet(params["study1"], pub["study1"], rng)
    prisma = prisma_counts(params["study1"], pub["study1"])
    projects = qualitative_projects(params, codebooks, rng)
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
