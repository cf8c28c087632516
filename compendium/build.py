"""Staged builds: Snakemake works in ``.build/``; ``results/`` changes only after a success.

Why: Snakemake deletes a job's old outputs before it re-runs the job. Run directly in the
repository, a build that fails half-way (the privacy gate stopping on a new identity
number, a PRISMA box that no longer adds up) would leave ``results/`` half old, half new and
partly deleted, and a reader could no longer tell which documents belong together. So the
DAG runs in a persistent staging folder and its outputs are *published* to ``results/``
(and ``logs/``) only once Snakemake has exited 0:

``.build/`` (git-ignored)
    Snakemake's working directory (``--directory .build``): it writes ``.build/results``,
    ``.build/logs`` and ``.build/.snakemake`` (metadata, locks, incomplete markers). It is
    kept between builds, so Snakemake still decides what is out of date and a second build
    has nothing to do. The build runs on a *snapshot* of the sources: every top-level entry
    of the repository except the generated and the hidden ones (``workflow/``,
    ``config/``, ``data/``, ``manuscript/``, ``notebooks/``, ``analysis/``, ...) is
    mirrored into ``.build`` before Snakemake starts, and the Snakefile, the rule scripts
    and the ``analysis`` package (``PYTHONPATH``) are all taken from there. Why copies and
    not symlinks: code that resolves paths (``Path.resolve()``, e.g. the provenance
    record's code hash, which expects every code file below the working directory) would
    follow a link out of the working directory; and an edit made in the repository while a
    build runs cannot give a build that mixes two versions of the code. Copies keep the
    original's modification time and are refreshed whenever size, bytes or mtime differ,
    so Snakemake's mtime and checksum checks see exactly what they would see in the
    repository: an edited source re-runs the jobs that read it, an unchanged tree gives
    "Nothing to be done". A ``data_dir`` outside the repository (private mode) must be an
    absolute path (a relative one is read from ``.build``, i.e. relative to the repository
    root, which ``../elsewhere`` is not); it is read in place, never copied.

publishing and rolling back
    ``results/`` (and ``logs/``) are made equal to ``.build/results`` (``.build/logs``) only
    after a full, successful run; a failed (or killed) attempt is rolled back, so
    ``.build/results`` is again the published state and no later attempt trusts an output
    the failed one made. Both are in :mod:`compendium.publish`, with the markers that let a
    killed publish be finished, and a killed attempt be undone, by the next build.

Only a build of the whole DAG is published: with Snakemake arguments that name targets or
select a partial or non-building run (``-n``, ``--until``, ``--summary``...) the staging
folder is updated but ``results/`` is not, because after an earlier failed build
``.build/results`` may hold outputs that no complete, successful run produced (e.g. tables
cleaned from data the privacy gate then refused).

If Snakemake fails, ``results/`` and ``logs/`` are not touched, the exit status is
Snakemake's, and the failing rule's log has already been printed (``show-failed-logs`` in
the profile); the last line says where this attempt's logs are.

A build killed earlier leaves Snakemake's lock in ``.build/.snakemake/locks``. This module
holds an exclusive ``flock`` on ``.build/.lock`` for the whole build, so a Snakemake lock
found while holding it is stale (the kernel drops the flock of a dead process) and is
removed with ``snakemake --unlock``; a second concurrent build in the same folder stops at
once instead of unlocking the first one's lock. Incomplete outputs of a killed job are
re-run (``--rerun-incomplete``).

Usage::

    python -m compendium.build [--root DIR] [snakemake arguments ...]

e.g. ``python -m compendium.build --configfile /secure/private.yaml`` or
``python -m compendium.build results/manuscripts/article2.pdf``. Relative paths in the
Snakemake arguments are read from the repository root (configuration files) or from the
staging folder, which mirrors it (targets and everything the rules read), so they mean
the same as in a plain ``snakemake`` run at the root.

Test hook: when the environment variable ``ANALYSIS_BUILD_KILL_AFTER_PUBLISHING`` holds a
number N, the build kills itself with SIGKILL right after publishing its N-th file (only
files actually copied count), so tests can interrupt a publish deterministically.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compendium.buildenv import deterministic
from compendium.publish import (
    KILL_HOOK,
    MARKER,
    PUBLISHED,
    STAGE,
    _remove,
    _sync_file,
    mirror,
    publish,
    rollback,
)

__all__ = [
    "KILL_HOOK",
    "MARKER",
    "build",
    "build_env",
    "data_mode",
    "is_full_build",
    "main",
    "mirror",
    "publish",
    "rollback",
    "snapshot_sources",
]

#: Top-level entries that are not sources (never copied into the staging folder): what the
#: build and the benchmark generate. Hidden entries (.git, .venv, .build...) never are.
NOT_SOURCES = frozenset({*PUBLISHED, "bench"})
#: Names below a source folder that are neither copied nor deleted in the snapshot.
SOURCE_IGNORE = frozenset({"__pycache__"})
LOCK = ".lock"
#: Snakemake options (argparse destinations) after which a successful exit does not mean
#: that the whole default target is built and up to date.
PARTIAL = (
    "targets",
    "target_jobs",
    "dryrun",
    "touch",
    "until",
    "omit_from",
    "allowed_rules",
    "batch",
    "summary",
    "detailed_summary",
    "lint",
    "unlock",
    "cleanup_metadata",
    "cleanup_shadow",
    "delete_all_output",
    "delete_temp_output",
    "archive",
    "generate_unit_tests",
    "dag",
    "d3dag",
    "rulegraph",
    "filegraph",
    "print_compilation",
    "export_cwl",
    "containerize",
    "report",
    "conda_create_envs_only",
    "conda_cleanup_envs",
    "draft_notebook",
    "edit_notebook",
    "mode",
)


class BuildBusy(RuntimeError):
    """Another build holds the staging folder's lock."""


# ------------------------------------------------------------------------------ staging


def source_entries(root: Path) -> list[str]:
    """Top-level names of the repository that the build reads (all but generated/hidden)."""
    return sorted(
        entry.name
        for entry in root.iterdir()
        if not entry.name.startswith(".") and entry.name not in NOT_SOURCES
    )


def snapshot_sources(root: Path, stage: Path) -> int:
    """Mirror the sources of ``root`` into ``stage``; return the number of files copied.

    Top-level entries of ``stage`` that are no longer sources are removed; the generated
    folders and the hidden entries (``.snakemake``, the lock, the publish marker) stay.
    """
    stage.mkdir(exist_ok=True)
    names = source_entries(root)
    for entry in stage.iterdir():
        if (
            entry.name not in PUBLISHED
            and not entry.name.startswith(".")
            and entry.name not in names
        ):
            _remove(entry)
    copied = 0
    for name in names:
        source, target = root / name, stage / name
        if source.is_dir():
            copied += mirror(source, target, exact=True, ignore=SOURCE_IGNORE)
        elif _sync_file(source, target, exact=True):
            copied += 1
    return copied


@contextmanager
def exclusive(stage: Path) -> Iterator[None]:
    """Hold ``stage/.lock`` for the duration of a build (released by the kernel on death)."""
    fd = os.open(stage / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildBusy(f"another build is running in {stage.parent}") from exc
        yield
    finally:
        os.close(fd)


def build_env(root: Path) -> dict[str, str]:
    """Environment of the Snakemake run: the determinism variables
    (:data:`compendium.buildenv.DETERMINISM`, which win over the caller's), this tree's
    ``analysis``.

    ``PYTHONPATH`` (the snapshot of ``root`` in ``.build``) makes the rule scripts and
    notebook kernels import the ``analysis`` package of the tree being built, not whatever
    an editable install points at; the interpreter's own ``bin`` goes first on ``PATH`` so
    ``python``/``jupyter`` are the environment's.
    """
    env = deterministic()
    code = str(root / STAGE)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
    env["PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.executable).parent), env.get("PATH")) if p
    )
    return env


REPORT = "report.html"
"""``snakemake --report`` of every full build: captioned figures and tables, the run's
configuration and software versions (``workflow/report/``). It records when each job ran,
so unlike the documents it is not expected to be byte-identical between builds."""


def snakemake_command(*args: str) -> list[str]:
    """Snakemake of this interpreter's environment on the snapshot's Snakefile, working in
    ``.build``; run from the root, so relative paths in ``args`` are read from there."""
    exe = Path(sys.executable).parent / "snakemake"
    return [str(exe), "-s", f"{STAGE}/workflow/Snakefile", "--directory", STAGE, *args]


def unlock_if_stale(root: Path, env: dict[str, str]) -> None:
    """Remove a lock a killed build left behind (stale: we hold the build's flock)."""
    locks = root / STAGE / ".snakemake" / "locks"
    if not locks.is_dir() or not any(locks.iterdir()):
        return
    done = subprocess.run(
        snakemake_command("--unlock"), cwd=root, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        print(
            f"build: could not remove a stale Snakemake lock:\n{done.stderr[-2000:]}",
            file=sys.stderr,
        )


def is_full_build(extra_args: Sequence[str]) -> bool:
    """Whether Snakemake run with ``extra_args`` builds the whole default target.

    Decided with Snakemake's own argument parser, so option values are never mistaken for
    targets. Arguments it cannot parse make Snakemake fail anyway: not a full build.
    """
    if not extra_args:
        return True
    from snakemake.cli import get_argument_parser

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = get_argument_parser().parse_args(list(extra_args))
    except SystemExit:
        return False
    for dest in PARTIAL:
        value = getattr(args, dest, None)
        if dest == "mode":
            if value is not None and getattr(value, "name", "DEFAULT") != "DEFAULT":
                return False
        elif value:
            return False
    return not any(getattr(args, d) for d in vars(args) if d.startswith("list_"))


def data_mode(root: Path, extra_args: Sequence[str]) -> str:
    """The run's ``mode``: ``config/config.yaml`` overridden by ``--configfile`` and
    ``--config mode=…`` in ``extra_args`` (Snakemake's own parser reads them)."""
    import yaml
    from snakemake.cli import get_argument_parser

    files = [root / "config" / "config.yaml"]
    overrides: list[str] = []
    if extra_args:
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                args = get_argument_parser().parse_args(list(extra_args))
            except SystemExit:
                args = None
        if args is not None:
            files += [root / f for f in (args.configfile or [])]
            overrides = list(args.config or [])
    mode = "synthetic"
    for path in files:
        if path.is_file():
            mode = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("mode", mode)
    for item in overrides:
        key, _, value = str(item).partition("=")
        if key.strip() == "mode":
            mode = value.strip().strip("'\"")
    return str(mode)


def run_snakemake(cmd: Sequence[str], root: Path, env: dict[str, str]) -> int:
    """Run Snakemake and wait for it, letting it shut down cleanly on a signal.

    SIGTERM and SIGHUP sent to the build are passed on to Snakemake (which stops its jobs
    and removes their incomplete outputs); SIGINT from the terminal already reaches it
    through the process group, so the build only keeps waiting instead of killing it.
    Either way the build then sees a non-zero exit and publishes nothing.
    """
    proc = subprocess.Popen(list(cmd), cwd=root, env=env)

    def forward(signum: int, _frame: object) -> None:
        if signum != signal.SIGINT:
            proc.send_signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {
            sig: signal.signal(sig, forward)
            for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
        }
    try:
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code if code >= 0 else 128 - code  # killed by a signal: the shell's convention


# ---------------------------------------------------------------------------------- build


REPORT_STAMP = ".report-stamp"
"""Fingerprint of the staged results the last report was made from (``.build/``)."""


def _fingerprint(digest: Any, base: Path, skip: Callable[[str], bool]) -> None:
    """Add every file below ``base`` (path, size, mtime; hidden names and ``skip``ped
    relative paths left out) to ``digest``, in sorted order."""
    for dirpath, dirnames, filenames in os.walk(base):
        rel_dir = Path(dirpath).relative_to(base)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not skip((rel_dir / d).as_posix())
        )
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            if name.startswith(".") or skip(rel):
                continue
            st = (base / rel).stat()
            digest.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def results_fingerprint(stage: Path, extra_args: Sequence[str]) -> str:
    """SHA-256 over every staged result's path, size and modification time (the report
    itself and hidden files left out) and the Snakemake arguments: what the report shows."""
    digest = hashlib.sha256("\0".join(extra_args).encode())
    _fingerprint(digest, stage / "results", lambda rel: rel == REPORT)
    return digest.hexdigest()


UPTODATE = ".uptodate"
"""Fingerprint of the staged sources and results after the last full, published build."""


def uptodate_key(root: Path) -> str:
    """The staged sources and results (paths, sizes, mtimes) and the interpreter: equal to
    the stamp of the last full build means Snakemake would find nothing to do."""
    stage = root / STAGE
    digest = hashlib.sha256(sys.executable.encode() + b"\0")
    _fingerprint(digest, stage, lambda rel: rel.split("/", 1)[0] in PUBLISHED)
    _fingerprint(digest, stage / "results", lambda rel: False)
    return digest.hexdigest()


def reads_outside(root: Path) -> bool:
    """Whether the default configuration reads data in place outside the snapshot (an
    absolute ``data_dir`` or names file), whose changes no fingerprint of ``.build`` sees."""
    import yaml

    path = root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    config = config or {}
    names = (config.get("privacy") or {}).get("names_file") or ""
    return any(Path(str(p)).is_absolute() for p in (config.get("data_dir", ""), names) if p)


def nothing_to_do(root: Path, extra_args: Sequence[str]) -> bool:
    """A plain build whose sources and staged results are exactly as after the last full,
    published build: Snakemake would say "Nothing to be done", so it is not started
    (``make`` with nothing to do stays well under a second)."""
    stamp = root / STAGE / UPTODATE
    if extra_args or not stamp.is_file() or reads_outside(root):
        return False
    return stamp.read_text(encoding="utf-8") == uptodate_key(root)


def write_report(root: Path, extra_args: Sequence[str], env: dict[str, str]) -> int:
    """The Snakemake report, regenerated only when a result it shows changed.

    ``snakemake --report`` re-reads the whole workflow and every captioned output (seconds
    of work): after a build with nothing to do the previous report is still exact, so it is
    kept. In private mode no report is written at all.
    """
    stage = root / STAGE
    report = stage / "results" / REPORT
    stamp = stage / REPORT_STAMP
    if data_mode(root, extra_args) == "private":
        # Snakemake's report lists every rule's input paths, i.e. where the authors'
        # confidential data live: not written in private mode
        report.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        print(
            "build: no Snakemake report in private mode (it would list the paths of the "
            "private data)",
            file=sys.stderr,
        )
        return 0
    fingerprint = results_fingerprint(stage, extra_args)
    if report.is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
        return 0
    code = run_snakemake(snakemake_command(*extra_args, "--report", str(report)), root, env)
    if code == 0:
        stamp.write_text(fingerprint)
    return code


def _prepare(root: Path, env: dict[str, str]) -> None:
    """Finish a killed publish, refresh the snapshot, clear a killed build's lock."""
    stage = root / STAGE
    if (stage / MARKER).exists():
        print("build: an earlier build was stopped while publishing; finishing it", file=sys.stderr)
        publish(root)
    snapshot_sources(root, stage)
    unlock_if_stale(root, env)


def build(root: Path, extra_args: Sequence[str] = ()) -> int:
    """Run the DAG in ``root/.build`` and publish on success; return the exit status.

    ``extra_args`` go to Snakemake unchanged (targets, ``--configfile``, ``--forcerun``...).
    A failed attempt is rolled back (:func:`compendium.publish.rollback`), so no later
    attempt trusts an output it made; a killed one leaves its outputs, which the snapshot's
    stamping of changed sources keeps from being trusted after a restore.
    """
    root = Path(root).resolve()
    stage = root / STAGE
    env = build_env(root)
    stage.mkdir(exist_ok=True)
    try:
        with exclusive(stage):
            _prepare(root, env)
            if nothing_to_do(root, extra_args):
                copied = publish(root)
                print(
                    "build: nothing changed since the last build (sources and staged results "
                    f"as then); Snakemake not started; {copied} file(s) published",
                    file=sys.stderr,
                )
                return 0
            (stage / UPTODATE).unlink(missing_ok=True)
            code = run_snakemake(snakemake_command("--rerun-incomplete", *extra_args), root, env)
            if code != 0:
                restored = rollback(root)
                print(
                    f"build: Snakemake failed (exit status {code}); results/ and logs/ are "
                    f"unchanged, and {restored} staged output(s) of this attempt were rolled "
                    f"back. The logs of this attempt are in {STAGE}/logs/.",
                    file=sys.stderr,
                )
                return code
            if not is_full_build(extra_args):
                print(
                    "build: not a build of the whole DAG; results/ and logs/ were not "
                    f"updated (the outputs are in {STAGE}/results/)",
                    file=sys.stderr,
                )
                return 0
            code = write_report(root, extra_args, env)
            if code != 0:
                print(
                    f"build: the Snakemake report failed (exit status {code}); results/ "
                    "and logs/ are unchanged",
                    file=sys.stderr,
                )
                return code
            copied = publish(root)
            if not extra_args:
                (stage / UPTODATE).write_text(uptodate_key(root), encoding="utf-8")
            print(
                f"build: published {copied} changed file(s) to results/ and logs/", file=sys.stderr
            )
            return 0
    except BuildBusy as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m compendium.build",
        allow_abbrev=False,
        description="Run the Snakemake DAG in .build/ and publish results/ only on success; "
        "other arguments are passed to Snakemake.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="repository root (default: the current folder)",
    )
    args, extra = parser.parse_known_args(argv)
    return build(args.root, extra)


if __name__ == "__main__":
    sys.exit(main())
