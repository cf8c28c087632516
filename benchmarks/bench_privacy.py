"""Benchmark the privacy gate on a 1,000,000-row extraction sheet and a long transcript.

Why: the gate scans every cell of every input before anything else runs, so its cost is paid
on every build that touches the data. The sheet repeats the synthetic rows with unique
article ids (the worst case for the per-distinct-value scan); the transcript is Norwegian
prose with line breaks, scanned with a names list.

Usage::

    python benchmarks/bench_privacy.py bench/privacy.json              # 1,000,000 rows
    python benchmarks/bench_privacy.py --rows 10000 /tmp/privacy.json  # quick check
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import identifiers, privacy  # noqa: E402


def _sheet(path: Path, rows: int) -> None:
    with (ROOT / "data/synthetic/study1/extraction.csv").open(encoding="utf-8") as f:
        header, *body = list(csv.reader(f))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            row = list(body[i % len(body)])
            row[0] = f"A{i:07d}"
            writer.writerow(row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    schema = json.loads((ROOT / "workflow/schemas/extraction.schema.json").read_text("utf-8"))
    report: dict[str, object] = {"rows": args.rows}
    with tempfile.TemporaryDirectory() as tmp:
        sheet = Path(tmp) / "extraction.csv"
        _sheet(sheet, args.rows)
        wall, cpu = time.perf_counter(), time.process_time()
        findings, cells = privacy.scan_sheet(sheet, schema, "extraction.csv", None)
        report.update(sheet_cells_scanned=cells, sheet_findings=len(findings),
                      sheet_wall_s=round(time.perf_counter() - wall, 2),
                      sheet_cpu_s=round(time.process_time() - cpu, 2))  # fmt: skip
    line = "Ja, hun sa at likepersonen møtte henne på kafeen i Bodø, og det hjalp.\r\n"
    transcript = line * 200_000  # ~15 MB
    names = identifiers.compile_names([f"Navn{i} Etternavn{i}" for i in range(50)])
    wall, cpu = time.perf_counter(), time.process_time()
    hits = identifiers.flag_texts([transcript], names)
    report.update(
        transcript_mb=round(len(transcript.encode()) / 1e6, 1),
        transcript_flagged=len(hits),
        transcript_wall_s=round(time.perf_counter() - wall, 2),
        transcript_cpu_s=round(time.process_time() - cpu, 2),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )
    text = json.dumps(report, indent=2)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
