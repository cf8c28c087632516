"""Benchmark the sheet validator on a 1,000,000-row Study 1 extraction sheet.

Why: a charting sheet kept by hand is small, but the validator is also the gate for
machine-made sheets, and it must not be the slow step of a build; issue #11 measured 288 s
and 1.7 GB for a million rows before the column-wise checks. The sheet is written by a
child process (so that the peak resident set size, ``resource.getrusage``, measures the
validation alone) and read here with :func:`analysis.validate.read_table`.

Usage::

    python benchmarks/bench_validate.py                 # 1,000,000 rows
    python benchmarks/bench_validate.py --rows 20000    # quick check

Prints one JSON object on stdout: ``{"validate_s": ..., "validate_rss_mb": ...}`` plus the
row count.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from analysis.validate import read_table, schema_path
except ModuleNotFoundError:  # run from a checkout without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from analysis.validate import read_table, schema_path

HEADER = (
    "article_id,first_author,year,country,design,sector,setting,peer_title,role_category,"
    "stages,outcomes\n"
)
_DESIGNS = ("qualitative", "quantitative", "mixed", "other")
_SECTORS = ("mental health", "substance use", "both")
_SETTINGS = ("inpatient", "outpatient", "community")
_ROLES = ("pre-determined services", "peer support", "co-creation partner")
_STAGES = ("co-design", "co-delivery", "co-design; co-delivery", "co-assessment")
_OUTCOMES = ("service users", "peer workers; organisation", "", "professionals")
_COUNTRIES = ("Norway", "United Kingdom", "USA", "Canada", "Australia", "Sweden")


def write_sheet(path: Path, rows: int) -> None:
    """A valid extraction sheet of ``rows`` rows (unique ids, repeated categories)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER)
        for i in range(rows):
            fh.write(
                f"S{i:07d},Author {i % 9973},{1990 + i % 35},{_COUNTRIES[i % 6]},"
                f"{_DESIGNS[i % 4]},{_SECTORS[i % 3]},{_SETTINGS[i % 3]},peer worker {i % 17},"
                f'{_ROLES[i % 3]},"{_STAGES[i % 4]}",{_OUTCOMES[i % 4]}\n'
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--write-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_child is not None:
        write_sheet(args.write_child, args.rows)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "extraction.csv"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--rows", str(args.rows)]
        subprocess.run([*cmd, "--write-child", str(sheet)], check=True)
        t0 = time.perf_counter()
        frame = read_table(sheet, schema_path("extraction"))
        seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    assert len(frame) == args.rows
    print(
        json.dumps(
            {"rows": args.rows, "validate_s": round(seconds, 2), "validate_rss_mb": round(rss, 1)}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
