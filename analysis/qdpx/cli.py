"""``python -m analysis.qdpx PROJECT.qdpx OUTDIR [--validate]``: the tables as CSV files."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis.qdpx.model import QdpxError
from analysis.qdpx.read import read_qdpx, terminal_progress, write_tables


def main(argv: Sequence[str] | None = None) -> int:
    """Write the CSV tables; on a :class:`QdpxError` print every problem to stderr and exit
    with status 2 (like a usage error, so make and Snakemake stop).

    On a terminal a progress line shows how many codings have been read.
    """
    parser = argparse.ArgumentParser(
        prog="python -m analysis.qdpx",
        description="Import a REFI-QDA .qdpx project into codebook.csv, codings.csv and cases.csv.",
    )
    parser.add_argument("project", type=Path, help="the .qdpx file")
    parser.add_argument("outdir", type=Path, help="directory for the CSV tables")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="also validate project.qde against the REFI-QDA schema (Project-mrt2019.xsd)",
    )
    args = parser.parse_args(argv)
    progress = terminal_progress(args.project)
    try:
        project = read_qdpx(args.project, validate=args.validate, progress=progress)
        written = write_tables(project, args.outdir)
    except (QdpxError, OSError) as exc:
        if progress is not None:
            sys.stderr.write("\n")
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if progress is not None:
        sys.stderr.write("\n")
    for warning in project.warnings:
        print(f"warning: {project.path}: {warning}", file=sys.stderr)
    conventions = sorted(set(project.offset_convention.values()) - {""})
    print(
        f"{project.path}: {len(project.codebook)} codes, {len(project.codings)} codings, "
        f"{len(project.cases)} cases; offsets {', '.join(conventions) or 'n/a'}; wrote "
        + ", ".join(str(p) for p in written)
    )
    return 0
