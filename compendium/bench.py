"""``make bench``: how long the compendium takes, and what it costs above the bare work.

Every figure is the median of ``--runs`` runs (default 3) in a private copy of the sources
(what git would give a fresh clone, :func:`compendium.verify.source_files`), with the
environment already installed:

``cold_build_s``
    ``python -m compendium.build`` with no ``results/``, ``logs/`` or ``.build/``.
``engine_floor_s``
    the same step functions, pandoc/typst renders and notebooks run bare in one process
    (:mod:`compendium.floor`), without Snakemake.
``noop_s``
    the build again with nothing to do.
``incremental_s`` / ``incremental_jobs``
    one sentence added to ``manuscript/article2/index.qmd``, then the build (the jobs
    Snakemake ran, from its ``N of N steps`` line).
``qdpx_*``, ``peer_qdpx_*``, ``validate_*``
    from ``benchmarks/bench_qdpx.py`` and ``benchmarks/bench_validate.py``, each printing one
    JSON object on stdout.
``tallies_s``
    tallies and coverage (:func:`analysis.tallies.segment_tallies`) over 1,000,000 coded
    segments.

Writes ``bench/report.json`` and ``bench/report.md`` (a Markdown table with the targets and
the machine). Timings on a shared machine are noisy: the report records the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from compendium.buildenv import deterministic

#: Targets of issue #12: (key, comparison, limit).
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("cold_build_s", "<=", 60),
    ("noop_s", "<=", 3),
    ("incremental_s", "<=", 15),
    ("qdpx_s", "<=", 10),
    ("qdpx_rss_mb", "<=", 1024),
    ("validate_s", "<=", 30),
    ("tallies_s", "<=", 2),
)
STEPS = re.compile(r"(\d+) of (\d+) steps \(100%\) done")
N_SEGMENTS = 1_000_000


def _env(root: Path) -> dict[str, str]:
    env = deterministic()
    env["PYTHONPATH"] = str(root)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def timed(command: Sequence[str], root: Path) -> tuple[float, str, int]:
    """Run ``command`` in ``root``: wall seconds, combined output and exit status."""
    start = time.perf_counter()
    done = subprocess.run(
        list(command), cwd=root, env=_env(root), capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, done.stdout + done.stderr, done.returncode


def build(root: Path) -> tuple[float, int]:
    """Seconds of one staged build of ``root`` and the number of jobs it ran."""
    seconds, output, code = timed(
        [sys.executable, "-m", "compendium.build", "--root", str(root)], root
    )
    if code != 0:
        raise RuntimeError(f"build failed in {root}:\n{output[-3000:]}")
    steps = STEPS.findall(output)
    return seconds, int(steps[-1][1]) if steps else 0


def fresh_copy(repo: Path, dest: Path) -> Path:
    """The sources of ``repo`` as a fresh clone has them, in ``dest``."""
    from compendium.verify import copy_sources, source_files

    names, _ = source_files(repo)
    copy_sources(repo, dest, names)
    return dest


def median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 2)


def bench_builds(repo: Path, work: Path, runs: int) -> dict[str, Any]:
    """cold, no-op and incremental builds in one copy; the engine floor in another."""
    root = fresh_copy(repo, work / "compendium")
    cold, noop, incremental, jobs = [], [], [], []
    for _ in range(runs):
        for name in ("results", "logs", ".build"):
            shutil.rmtree(root / name, ignore_errors=True)
        cold.append(build(root)[0])
    for _ in range(runs):
        noop.append(build(root)[0])
    qmd = root / "manuscript/article2/index.qmd"
    for i in range(runs):
        with qmd.open("a", encoding="utf-8") as f:
            f.write(f"\nA sentence added by the benchmark, run {i + 1}.\n")
        seconds, n = build(root)
        incremental.append(seconds)
        jobs.append(n)
    floor = []
    for i in range(runs):
        copy = fresh_copy(repo, work / f"floor{i}")
        seconds, output, code = timed(
            [sys.executable, "-m", "compendium.floor", "--root", str(copy)], copy
        )
        if code != 0:
            raise RuntimeError(f"engine floor failed:\n{output[-3000:]}")
        floor.append(seconds)
    return {
        "cold_build_s": median(cold),
        "engine_floor_s": median(floor),
        "noop_s": median(noop),
        "incremental_s": median(incremental),
        "incremental_jobs": int(statistics.median(jobs)),
    }


def last_json(stdout: str) -> dict[str, Any]:
    """The JSON object a benchmark script printed: the whole output, or its last line."""
    text = stdout.strip()
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        obj = json.loads(text.splitlines()[-1])
    if not isinstance(obj, dict):
        raise ValueError(f"expected one JSON object, got {text[:200]!r}")
    return obj


def bench_script(repo: Path, script: str, runs: int) -> dict[str, Any]:
    """Median of each numeric key of the JSON object ``script`` prints, over ``runs``."""
    path = repo / "benchmarks" / script
    if not path.is_file():
        return {}
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, str(path)],
            cwd=repo,
            env=_env(repo),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{script} failed:\n{(done.stdout + done.stderr)[-3000:]}")
        for key, value in last_json(done.stdout).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                samples.setdefault(key, []).append(float(value))
    return {key: median(values) for key, values in samples.items()}


def segments_frame(n: int = N_SEGMENTS, seed: int = 20240927) -> tuple[Any, Any, Any]:
    """``n`` synthetic coded segments over 40 participants in 4 groups and a 5 x 4 x 3
    codebook: the shape of Studies 2 and 3, scaled up."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    codebook = pd.DataFrame(
        [
            (f"T{t}", f"T{t}S{s}", f"T{t}S{s}C{c}", "")
            for t in range(5)
            for s in range(4)
            for c in range(3)
        ],
        columns=["theme", "subtheme", "code", "description"],
    )
    participants = pd.DataFrame(
        {
            "participant_id": [f"P{i:02d}" for i in range(40)],
            "group": [f"G{i % 4}" for i in range(40)],
        }
    )
    pick = rng.integers(0, len(codebook), n)
    segments = pd.DataFrame(
        {
            "segment_id": [f"S{i:07d}" for i in range(n)],
            "participant_id": participants["participant_id"].to_numpy()[rng.integers(0, 40, n)],
            "theme": codebook["theme"].to_numpy()[pick],
            "subtheme": codebook["subtheme"].to_numpy()[pick],
            "code": codebook["code"].to_numpy()[pick],
            "text": np.array(["x" * k for k in range(20, 220)])[rng.integers(0, 200, n)],
        }
    )
    return segments, participants, codebook


def bench_tallies(runs: int) -> dict[str, Any]:
    """Seconds of the tallies and coverage over :data:`N_SEGMENTS` segments."""
    from analysis.tallies import segment_tallies

    segments, participants, codebook = segments_frame()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        segment_tallies(segments, participants, codebook, "group")
        seconds.append(time.perf_counter() - start)
    return {"tallies_s": median(seconds)}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else ""
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "system": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def markdown(report: dict[str, Any]) -> str:
    """The short table the README shows."""
    limits = {key: (op, limit) for key, op, limit in TARGETS}
    figures = report["figures"]
    if "engine_floor_s" in figures:
        limits["cold_build_s"] = ("<=", min(60.0, 3 * figures["engine_floor_s"]))
    lines = ["| figure | value | target |", "|---|---:|---|"]
    for key, value in figures.items():
        op, limit = limits.get(key, ("", None))
        target = f"{op} {limit:g}" if limit is not None else ""
        if limit is not None:
            target += " ok" if value <= limit else " **missed**"
        lines.append(f"| `{key}` | {value} | {target} |")
    m = report["machine"]
    lines.append("")
    lines.append(
        f"Median of {report['runs']} runs on {m['cpus']} CPUs ({m['cpu']}), "
        f"{m['system']}, Python {m['python']}; load average at the start "
        f"{m['load_average']}."
    )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m compendium.bench", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--root", type=Path, default=Path.cwd(), help="the compendium's root")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    ap.add_argument("--out", type=Path, default=Path("bench"), help="report folder")
    ap.add_argument(
        "--only",
        nargs="*",
        default=None,
        choices=["builds", "qdpx", "validate", "tallies"],
        help="measure only these groups",
    )
    args = ap.parse_args(argv)
    repo = args.root.resolve()
    report: dict[str, Any] = {"runs": args.runs, "machine": machine(), "figures": {}}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        groups: dict[str, Callable[[], dict[str, Any]]] = {
            "builds": lambda: bench_builds(repo, Path(tmp), args.runs),
            "qdpx": lambda: bench_script(repo, "bench_qdpx.py", args.runs),
            "validate": lambda: bench_script(repo, "bench_validate.py", args.runs),
            "tallies": lambda: bench_tallies(args.runs),
        }
        for name, measure in groups.items():
            if args.only is None or name in args.only:
                print(f"bench: {name} ...", file=sys.stderr, flush=True)
                try:
                    report["figures"] |= measure()
                except (RuntimeError, ValueError, OSError) as exc:
                    report.setdefault("errors", {})[name] = str(exc)[-2000:]
                    print(f"bench: {name} failed: {exc}", file=sys.stderr)
    out = args.out if args.out.is_absolute() else repo / args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
