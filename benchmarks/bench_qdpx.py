"""Benchmark the REFI-QDA importer on a large synthetic project.

Why: real double-coded focus-group projects reach hundreds of thousands of codings, and the
importer promises to stream them in well under 1 GB of memory. This script generates such a
project with :func:`analysis.qdpx.write_qdpx` (double coding by two coders, Norwegian text
with emoji and CRLF line breaks), then imports it with :func:`analysis.qdpx.read_qdpx` and
:func:`analysis.qdpx.write_tables` in the main process; the generator runs in a child
process, so that the peak resident set size (``resource.getrusage``) measures the import
alone and not the generator.

The same file is then loaded by a peer, PyPI ``pyrefiqda`` 0.3.1 (``RefiProject.load``:
extract the archive, parse ``project.qde`` into pydantic models), installed for the
benchmark only into ``bench/peer-venv`` (never a project dependency), in its own process.
The peer only parses; :func:`read_qdpx` also checks every reference, detects the offset
convention of every source and slices every coded text.

Usage::

    python benchmarks/bench_qdpx.py                                   # 500,000 codings
    python benchmarks/bench_qdpx.py --codings 5000 /tmp/bench.json    # quick check
    python benchmarks/bench_qdpx.py --no-peer                         # skip pyrefiqda

The last line on stdout is one JSON object with ``qdpx_s`` and ``qdpx_rss_mb`` (the import,
:func:`read_qdpx`), ``peer_qdpx_s`` and ``peer_qdpx_rss_mb``, and the details; the same
object is written to ``OUTPUT`` when given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from analysis import qdpx
except ModuleNotFoundError:  # run from a checkout without the editable install
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from analysis import qdpx

import numpy as np
import pandas as pd

_WORDS = (
    "likeperson",
    "erfaring",
    "håp",
    "tillit",
    "bedring",
    "ansatt",
    "brukermedvirkning",
    "støtte",
    "hverdagen",
    "møte",
    "rolle",
    "æresord",
    "øyeblikk",
    "åpenhet",
    "😊",
    "💬",
    "🙏🏽",
)
CODES_PER_THEME = 6
THEMES = 8
CODINGS_PER_SELECTION = 2  # two coders on every span: the intercoder-agreement layout


def _peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _make_text(rng: np.random.Generator, n_chars: int) -> str:
    """A transcript-like text of about ``n_chars`` code points with CRLF line breaks."""
    words = rng.choice(len(_WORDS), size=max(1, n_chars // 8))
    lines = []
    line: list[str] = []
    for i, w in enumerate(words):
        line.append(_WORDS[w])
        if i % 14 == 13:
            lines.append("Deltaker: " + " ".join(line) + ".")
            line = []
    lines.append("Deltaker: " + " ".join(line) + ".")
    return "\r\n".join(lines) + "\r\n"


def generate(n_codings: int, seed: int) -> dict[str, pd.DataFrame]:
    """Synthetic tables for :func:`write_qdpx` with exactly ``n_codings`` codings."""
    rng = np.random.default_rng(seed)
    n_selections = max(1, n_codings // CODINGS_PER_SELECTION)
    n_sources = max(1, n_selections // 1250)
    codes = []
    for t in range(THEMES):
        theme = qdpx.stable_guid("bench", "theme", t)
        codes.append((theme, f"Tema {t + 1}", "", False))
        for c in range(CODES_PER_THEME):
            codes.append(
                (qdpx.stable_guid("bench", "code", t, c), f"Kode {t + 1}.{c + 1}", theme, True)
            )
    codebook = pd.DataFrame(codes, columns=["code_id", "name", "parent_id", "codable"])
    codable = codebook.loc[codebook["codable"], "code_id"].to_numpy()
    users = pd.DataFrame(
        {"user_id": [qdpx.stable_guid("bench", "user", u) for u in "AB"], "name": ["AF", "BK"]}
    )

    source_rows = []
    frames = []
    per_source = np.full(n_sources, n_selections // n_sources)
    per_source[: n_selections % n_sources] += 1
    for s in range(n_sources):
        k = int(per_source[s])
        text = _make_text(rng, 90 * k + 200)
        sid = qdpx.stable_guid("bench", "source", s)
        source_rows.append((sid, f"Intervju {s + 1:04d}", text))
        starts = np.sort(rng.integers(0, len(text) - 200, size=k))
        ends = starts + rng.integers(20, 200, size=k)
        # never cut a surrogate-free text inside a CRLF: move such boundaries one back
        cr = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == 0x0D
        starts = starts - cr[np.maximum(starts - 1, 0)]
        ends = ends - cr[ends - 1]
        base = rng.choice(codable, size=k)
        other = np.where(rng.random(k) < 0.8, base, rng.choice(codable, size=k))
        sel_ids = [qdpx.stable_guid("bench", "sel", s, i) for i in range(k)]
        frame = pd.DataFrame(
            {
                "selection_id": np.repeat(sel_ids, CODINGS_PER_SELECTION),
                "source_id": sid,
                "start": np.repeat(starts, CODINGS_PER_SELECTION),
                "end": np.repeat(ends, CODINGS_PER_SELECTION),
                "code_id": np.column_stack([base, other]).ravel(),
                "coder": np.tile(["AF", "BK"], k),
            }
        )
        frames.append(frame)
    codings = pd.concat(frames, ignore_index=True).iloc[:n_codings]
    sources = pd.DataFrame(source_rows, columns=["source_id", "name", "text"])
    cases = pd.DataFrame(
        {
            "case_id": [qdpx.stable_guid("bench", "case", s) for s in range(n_sources)],
            "name": [f"P{s + 1:04d}" for s in range(n_sources)],
            "rolle": rng.choice(["likeperson", "leder", "ansatt"], size=n_sources),
            "source_ids": sources["source_id"],
        }
    )
    return {
        "codebook": codebook,
        "sources": sources,
        "codings": codings,
        "cases": cases,
        "users": users,
    }


def _generate_child(target: Path, n_codings: int, seed: int) -> None:
    """Child-process mode: generate the tables, write the .qdpx, print timings as JSON."""
    t0 = time.perf_counter()
    tables = generate(n_codings, seed)
    t1 = time.perf_counter()
    qdpx.write_qdpx(target, origin="peerwork-compendium benchmark", **tables)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "selections": int(tables["codings"]["selection_id"].nunique()),
                "sources": len(tables["sources"]),
                "generate_seconds": round(t1 - t0, 3),
                "write_qdpx_seconds": round(t2 - t1, 3),
            }
        )
    )


PEER = "pyrefiqda==0.3.1"
PEER_VENV = Path(
    os.environ.get("PEER_VENV", Path(__file__).resolve().parents[1] / "bench" / "peer-venv")
)
_PEER_CODE = """
import json, sys, tempfile, time
from pyrefiqda import RefiProject
with tempfile.TemporaryDirectory() as tmp:
    t0, c0 = time.perf_counter(), time.process_time()
    project = RefiProject.load(sys.argv[1], extract_dir=tmp)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    codings = sum(len(sel.coding) for src in project.sources.text_source
                  for sel in src.plain_text_selection)
# VmHWM, not ru_maxrss: ru_maxrss survives fork and exec, so it would start from the
# importer's own peak; the high-water mark of /proc belongs to this process image alone
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peer_qdpx_s": round(seconds, 3), "peer_qdpx_cpu_s": round(cpu, 3),
                  "peer_codings": codings,
                  "peer_qdpx_rss_mb": round(int(hwm.split()[1]) / 1024, 1)}))
"""


def _peer_python() -> Path:
    """The peer's interpreter, installing ``pyrefiqda`` into ``bench/peer-venv`` once."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PEER],
            check=True,
        )
    return python


def run_peer(target: Path) -> dict[str, float]:
    """Load ``target`` with pyrefiqda in its own process; its time and peak RSS."""
    done = subprocess.run(
        [str(_peer_python()), "-c", _PEER_CODE, str(target)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Generate in a child process, import here, and write the JSON report.

    Why this way round: on Linux a child's ``ru_maxrss`` starts from the parent's peak
    (it survives fork and exec), so the process that measures the import must never have
    held the generated tables itself.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, nargs="?", help="JSON file for the results")
    parser.add_argument("--codings", type=int, default=500_000, help="number of codings")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--validate", action="store_true", help="import with XSD validation as well"
    )
    parser.add_argument("--keep", type=Path, help="also keep the generated .qdpx here")
    parser.add_argument("--no-peer", action="store_true", help="do not run pyrefiqda")
    parser.add_argument("--generate-child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate_child is not None:
        _generate_child(args.generate_child, args.codings, args.seed)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        target = args.keep or Path(tmp) / "bench.qdpx"
        cmd = [sys.executable, str(Path(__file__).resolve())]
        cmd += ["--codings", str(args.codings), "--seed", str(args.seed)]
        cmd += ["--generate-child", str(target)]
        child = subprocess.run(cmd, check=True, capture_output=True, text=True)
        result = json.loads(child.stdout)
        generator_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        baseline = _peak_rss_mib()
        t0, c0 = time.perf_counter(), time.process_time()
        project = qdpx.read_qdpx(target, validate=args.validate)
        t1, c1 = time.perf_counter(), time.process_time()
        with tempfile.TemporaryDirectory() as out:
            qdpx.write_tables(project, out)
        t2 = time.perf_counter()
        result.update(
            {
                "codings": args.codings,
                "imported_codings": len(project.codings),
                "offset_conventions": sorted(set(project.offset_convention.values())),
                "validate": args.validate,
                "qdpx_bytes": target.stat().st_size,
                "read_qdpx_seconds": round(t1 - t0, 3),
                "write_tables_seconds": round(t2 - t1, 3),
                "import_wall_seconds": round(t2 - t0, 3),
                "import_peak_rss_mib": round(_peak_rss_mib(), 1),
                "baseline_rss_mib_before_import": round(baseline, 1),
                "generator_peak_rss_mib": round(
                    generator_rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1
                ),
                "qdpx_s": round(t1 - t0, 3),
                # CPU seconds too: on a shared machine the wall time mostly measures the load
                "qdpx_cpu_s": round(c1 - c0, 3),
                "qdpx_rss_mb": round(_peak_rss_mib(), 1),
                "python": platform.python_version(),
                "machine": platform.machine(),
                "cpus": os.cpu_count(),
            }
        )
        if not args.no_peer:
            result.update(run_peer(target))
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
