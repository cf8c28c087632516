"""Reproduction check: a checksum manifest of the results, and an offline rebuild against it.

``python -m compendium.verify manifest`` (``make manifest``) records the SHA-256 of every file a
reader sees or cites in ``results.sha256`` at the repository root, in ``sha256sum`` format, so
that it can be committed and reviewed like any source. ``python -m compendium.verify check``
(``make verify``) then answers the question a reviewer asks: *does a clean copy of this
repository, built offline, give exactly these bytes?* It copies what git would give a fresh
clone (no ``results/``, no environment, no caches) to a temporary folder, rebuilds it there
without network access, and compares the rebuilt files with the committed manifest, file by
file. ``python -m compendium.verify compare`` compares an existing ``results/`` with the
manifest without rebuilding.

The rebuild runs with the interpreter that runs this module (under ``make verify``:
``.venv``, the environment ``uv.lock`` pins); it is not reinstalled, because the check is
about the workflow and its inputs, and installing needs the network the rebuild must not
have.

Exit codes: 0 every file reproduced; 1 some file differs, is missing or is unexpected;
2 the rebuild failed; 3 nothing to verify against (no manifest, no results, not the root).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal, TextIO

from analysis.io import sha256_file, write_text
from compendium.buildenv import DETERMINISM, deterministic

MANIFEST = "results.sha256"

# What the manifest covers: the documents plus every computed table, figure and the claims
# verdict, i.e. everything a reader sees or cites, including the tables the documents include
# (render/tables) and the executed notebooks. Not logs (they hold timings and paths), not
# intermediate staging (results/clean, results/privacy, the per-document render projects),
# which are inputs to the covered files: a difference there that matters shows up here.
COVERED: tuple[str, ...] = (
    "results/manuscripts",
    "results/tallies",
    "results/stats",
    "results/synthesis",
    "results/figures",
    "results/render/tables",
    "results/notebooks",
    "results/verify",
)
# The notebooks are supplements: a build configured without them still has a manifest.
OPTIONAL: frozenset[str] = frozenset({"results/notebooks"})

# The rebuild's fixed environment: one definition for the Makefile, the build and this check.
BUILD_ENV: dict[str, str] = DETERMINISM

# Generated state at the top level: never copied, even if a .gitignore forgot one, because a
# copy holding staged outputs (.build/) or old results would let the "rebuild" reuse them.
GENERATED: frozenset[str] = frozenset(
    {"results", "logs", ".build", ".snakemake", ".venv", ".tools"}
)
# Without git (a copy that is not a work tree), the sources are found by walking the folder
# and leaving out what .gitignore keeps out of the repository: generated results, the
# environment and caches.
WALK_SKIP_TOP: frozenset[str] = GENERATED | {".git", "bench", "data/private"}
WALK_SKIP_ANY: frozenset[str] = frozenset(
    {"__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}
)

# Run inside `unshare -rn`: a new network namespace has only a loopback interface, and it is
# down. Jupyter kernels talk to the notebook client over 127.0.0.1, so bring loopback up
# (allowed: the user namespace makes us its administrator), then run the build. Nothing
# outside the machine is reachable: there is no other interface and no route.
LOOPBACK_UP = """\
import fcntl, os, socket, struct, sys
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    req = struct.pack("16sH22x", b"lo", 0)
    flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
    fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
os.execvp(sys.argv[1], sys.argv[1:])
"""

Status = Literal["same", "DIFFERS", "missing", "unexpected"]
_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


class VerifyError(Exception):
    """Nothing to verify against: the message says what to run first."""


# --- manifest ----------------------------------------------------------------------------


def covered_files(root: Path) -> list[str]:
    """Files under the covered folders, as sorted POSIX paths relative to ``root``.

    Hidden files are left out: they are Snakemake's ``.snakemake_timestamp`` markers and the
    ``.part`` files of an interrupted atomic write, not results. Python's string order is
    code-point order, which for UTF-8 is byte order, i.e. ``LC_ALL=C sort``.
    """
    found: list[str] = []
    for sub in COVERED:
        base = root / sub
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            rel = path.relative_to(base)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            name = path.relative_to(root).as_posix()
            if "\n" in name or "\\" in name:
                raise VerifyError(
                    f"{name!r}: a result path with a newline or backslash "
                    "cannot be written in sha256sum format"
                )
            found.append(name)
    return sorted(found)


def digests(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every covered file under ``root``."""
    return {name: sha256_file(root / name) for name in covered_files(root)}


def missing_results(names: Iterable[str]) -> list[str]:
    """Covered folders that a complete build fills but that have no file among ``names``."""
    names = list(names)
    return [
        sub
        for sub in COVERED
        if sub not in OPTIONAL and not any(n.startswith(sub + "/") for n in names)
    ]


def manifest_lines(root: Path) -> list[str]:
    """The manifest of ``root``'s results: ``<sha256>  <path>`` lines, sorted by path.

    Refuses an incomplete results tree, because a manifest of half a build would make every
    later check fail for the wrong reason.
    """
    names = covered_files(root)
    lacking = missing_results(names)
    if lacking:
        raise VerifyError(
            f"no results to record in {root}: {', '.join(lacking)} missing or empty; "
            "run `make` first to build them"
        )
    return [f"{sha256_file(root / name)}  {name}" for name in names]


def write_manifest(root: Path) -> tuple[Path, int]:
    """Write ``results.sha256`` at ``root`` atomically; return its path and line count."""
    lines = manifest_lines(root)
    target = root / MANIFEST
    write_text("".join(line + "\n" for line in lines), target)
    return target, len(lines)


def parse_manifest(text: str, source: str = MANIFEST) -> dict[str, str]:
    """Read ``sha256sum``-format lines into ``{path: sha256}``; blank lines are ignored.

    Strict, so that a hand-edited or merge-damaged manifest fails loudly with its line
    number instead of silently checking fewer files.
    """
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise VerifyError(f"{source}:{number}: not a '<sha256>  <path>' line: {line!r}")
        digest, name = match.groups()
        if name in entries:
            raise VerifyError(f"{source}:{number}: {name} is listed twice")
        entries[name] = digest
    if not entries:
        raise VerifyError(f"{source} lists no file; run `make manifest` after `make`")
    return entries


def read_manifest(root: Path) -> dict[str, str]:
    """The committed manifest of ``root``, or a message saying how to make one."""
    path = root / MANIFEST
    if not path.is_file():
        raise VerifyError(
            f"{path} does not exist: build with `make`, then record the results with "
            "`make manifest` (and commit results.sha256)"
        )
    return parse_manifest(path.read_text(encoding="utf-8"), str(path))


# --- comparison --------------------------------------------------------------------------


def compare(manifest: Mapping[str, str], actual: Mapping[str, str]) -> list[tuple[Status, str]]:
    """One ``(status, path)`` per path in either mapping, sorted by path.

    ``same``/``DIFFERS`` for paths in both; ``missing`` for a recorded file the build did
    not produce; ``unexpected`` for a produced file the manifest does not know (a new output
    must be recorded, or it would never be checked).
    """
    rows: list[tuple[Status, str]] = []
    for name in sorted(manifest.keys() | actual.keys()):
        if name not in actual:
            rows.append(("missing", name))
        elif name not in manifest:
            rows.append(("unexpected", name))
        else:
            rows.append(("same" if manifest[name] == actual[name] else "DIFFERS", name))
    return rows


def report(rows: Sequence[tuple[Status, str]]) -> tuple[list[str], int]:
    """The lines to print for a comparison, and the exit code (0 only if all are same).

    One line per file, then a summary with counts, then a last line that says the verdict
    and, when it fails, names every file that was not reproduced.
    """
    lines = [f"{status}  {name}" for status, name in rows]
    counts = Counter(status for status, _ in rows)
    lines.append(
        f"{len(rows)} files: {counts['same']} same, {counts['DIFFERS']} differ, "
        f"{counts['missing']} missing, {counts['unexpected']} unexpected"
    )
    failed = [name for status, name in rows if status != "same"]
    if rows and not failed:
        lines.append(f"reproduced: all {len(rows)} files are identical to {MANIFEST}")
        return lines, 0
    lines.append(f"NOT reproduced ({len(failed)} of {len(rows)} files): " + ", ".join(failed))
    return lines, 1


LOCAL_NOTE = " (in this folder's results/; the clean rebuild matches the manifest)"


def merge_local(
    rebuilt: Sequence[tuple[Status, str]], local: Sequence[tuple[Status, str]]
) -> list[tuple[Status, str]]:
    """The rebuild's verdict per file, overruled where the folder's own ``results/`` differ.

    Why both: a reviewer runs ``make`` then ``make verify``. The clean rebuild says whether
    the sources reproduce the manifest; the folder's own results say whether the files the
    reviewer is about to read are those bytes. A results file changed by hand (or by a
    stray tool) is reported as ``DIFFERS`` with a note, even though the sources are fine.
    """
    verdict = dict((name, status) for status, name in rebuilt)
    names = {name: name for name in verdict}
    for status, name in local:
        if status != "same" and verdict.get(name, "same") == "same":
            verdict[name] = status
            names[name] = name + LOCAL_NOTE
    return sorted(
        ((status, names.get(name, name)) for name, status in verdict.items()),
        key=lambda row: row[1].encode(),
    )


def compare_tree(root: Path, manifest: Mapping[str, str]) -> tuple[list[str], int]:
    """Compare the results under ``root`` with ``manifest``: report lines and exit code."""
    return report(compare(manifest, digests(root)))


# --- clean copy --------------------------------------------------------------------------


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    """Run git in ``root``; ``None`` when git is not installed."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except FileNotFoundError:
        return None


def is_git_tree(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree (and git is installed)."""
    done = _git(root, "rev-parse", "--is-inside-work-tree")
    return done is not None and done.returncode == 0 and done.stdout.strip() == b"true"


def walk_sources(root: Path) -> list[str]:
    """Source files of a folder that is not a git work tree, skipping what git ignores."""
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        rel = Path(folder).relative_to(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if (rel / d).as_posix() not in WALK_SKIP_TOP
            and d not in WALK_SKIP_ANY
            and not d.endswith(".egg-info")
        )
        found.extend((rel / f).as_posix() for f in files if not f.endswith(".pyc"))
    return sorted(found)


def source_files(root: Path) -> tuple[list[str], str]:
    """What a fresh clone plus the user's not-ignored new files would hold; and how found.

    In a git work tree: tracked files (as in the working tree, with uncommitted edits) and
    untracked files that are not ignored, minus tracked files deleted from the working tree
    and anything under a ``GENERATED`` folder. Otherwise a walk that skips what .gitignore
    lists (``WALK_SKIP_*``).
    """
    if is_git_tree(root):
        done = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        assert done is not None
        if done.returncode != 0:
            raise VerifyError(f"git ls-files failed in {root}: {done.stderr.decode()}")
        names = {n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n}
        present = [
            n
            for n in names
            if n.split("/", 1)[0] not in GENERATED
            and os.path.lexists(root / n)
            and not (root / n).is_dir()
        ]
        return sorted(present), "git ls-files"
    return walk_sources(root), "a folder walk (not a git work tree)"


def copy_sources(root: Path, dest: Path, names: Iterable[str]) -> int:
    """Copy ``names`` from ``root`` to ``dest`` (modes and symlinks kept); return the count."""
    count = 0
    for name in names:
        source, target = root / name, dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
        count += 1
    return count


# --- offline rebuild ---------------------------------------------------------------------


def offline_prefix() -> tuple[list[str], str]:
    """The command prefix that cuts the build off the network, and a note saying what it did.

    ``unshare -rn`` (a user and network namespace without interfaces other than loopback)
    when this machine allows it, probed by running the prefix itself; otherwise no prefix,
    and the note says the network was left alone.
    """
    prefix = ["unshare", "-rn", sys.executable, "-c", LOOPBACK_UP]
    try:
        probe = subprocess.run(
            [*prefix, "true"], capture_output=True, text=True, timeout=60, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        reason = str(exc)
    else:
        if probe.returncode == 0:
            return prefix, (
                "offline: yes (unshare -rn: a network namespace with loopback "
                "only; nothing outside this machine is reachable)"
            )
        reason = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
    return [], f"offline: NO, `unshare -rn` is not available here ({reason}); network left alone"


def build_command(copy: Path) -> list[str]:
    """The copy's own build entry point: ``compendium.build`` (or, in a copy older than that
    package, ``analysis.build``) when it has one, else Snakemake."""
    for package in ("compendium", "analysis"):
        if (copy / package / "build.py").is_file():
            return [sys.executable, "-m", f"{package}.build", "--root", str(copy)]
    return [
        str(Path(sys.executable).parent / "snakemake"),
        "-s",
        "workflow/Snakefile",
        "--cores",
        "2",
    ]


#: Snakemake's progress line (``12 of 44 steps (27%) done``), shown while ``make verify``
#: rebuilds.
_PROGRESS = re.compile(r"^\s*(\d+ of \d+ steps \(\d+%\) done)\s*$")


def progress_line(line: str) -> str | None:
    """What to show of one line of the rebuild's output when not ``--verbose``: Snakemake's
    step counter, or None for everything else (the whole output goes to the log)."""
    match = _PROGRESS.match(line)
    return f"  rebuild: {match.group(1)}" if match else None


def build_env(copy: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The rebuild's environment: ours, with the fixed build variables, the interpreter's
    ``bin`` first on PATH and ``PYTHONPATH`` set to the copy, so that the copy's own
    ``analysis`` package is imported rather than the editable install of the original."""
    env = deterministic(os.environ if base is None else base)
    env["PYTHONPATH"] = str(copy)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def rebuild(
    copy: Path,
    prefix: Sequence[str],
    log: Path,
    echo: TextIO | None = None,
    tail: int = 60,
    progress: TextIO | None = None,
) -> tuple[int, list[str]]:
    """Build ``copy`` with its output written to ``log`` (and to ``echo``, if given; else
    Snakemake's step counter to ``progress``, so a long rebuild shows how far it is).

    Returns the exit code and the last ``tail`` lines, which are printed when it fails.
    """
    last: deque[str] = deque(maxlen=tail)
    command = [*prefix, *build_command(copy)]
    with (
        log.open("w", encoding="utf-8") as out,
        subprocess.Popen(
            command,
            cwd=copy,
            env=build_env(copy),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as proc,
    ):
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            last.append(line.rstrip("\n"))
            if echo is not None:
                echo.write(line)
                echo.flush()
            elif progress is not None and (shown := progress_line(line)) is not None:
                progress.write(shown + "\n")
                progress.flush()
        code = proc.wait()
    return code, list(last)


def check(root: Path, keep: bool = False, verbose: bool = False, out: TextIO | None = None) -> int:
    """Rebuild a clean copy of ``root`` offline and compare it with ``root``'s manifest.

    The manifest is read first, so a missing one fails in a second, not after the build.
    """
    out = out or sys.stdout
    manifest = read_manifest(root)
    tmp = Path(tempfile.mkdtemp(prefix="verify-"))
    copy = tmp / "compendium"
    try:
        names, how = source_files(root)
        count = copy_sources(root, copy, names)
        print(f"copied {count} source files from {root} to {copy} ({how})", file=out)
        if how == "git ls-files":
            dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
            if dirty is not None and dirty.stdout.strip():
                print("note: the copy includes uncommitted changes to tracked files", file=out)
        prefix, note = offline_prefix()
        print(note, file=out)
        command = " ".join(build_command(copy))
        print(f"environment: {Path(sys.executable).parent.parent} (not reinstalled)", file=out)
        print(f"building: {command} (log: {tmp / 'build.log'})", file=out, flush=True)
        start = time.monotonic()
        code, last = rebuild(
            copy, prefix, tmp / "build.log", echo=out if verbose else None, progress=out
        )
        seconds = time.monotonic() - start
        if code != 0:
            print(*last, sep="\n", file=out)
            print(f"build FAILED (exit {code}) after {seconds:.0f} s; nothing compared", file=out)
            return 2
        print(f"built in {seconds:.0f} s; comparing with {root / MANIFEST}", file=out)
        rows = compare(manifest, digests(copy))
        if (root / "results").is_dir():
            rows = merge_local(rows, compare(manifest, digests(root)))
        lines, status = report(rows)
        print(*lines, sep="\n", file=out)
        return status
    finally:
        if keep:
            print(f"kept: {tmp}", file=out)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# --- command line ------------------------------------------------------------------------


def _root(path: Path) -> Path:
    root = path.resolve()
    if not (root / "workflow" / "Snakefile").is_file():
        raise VerifyError(
            f"{root} is not the compendium's root (no workflow/Snakefile); pass --root"
        )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m compendium.verify", description=__doc__.splitlines()[0]
    )
    commands = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    helps = {
        "manifest": f"write {MANIFEST}: the checksums of the built results",
        "compare": f"compare the existing results/ with {MANIFEST} (no rebuild)",
        "check": f"rebuild a clean copy offline and compare it with {MANIFEST}",
    }
    for name, text in helps.items():
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument(
            "--root",
            type=Path,
            default=Path.cwd(),
            help="the compendium's root (default: the current folder)",
        )
        if name == "check":
            sub.add_argument(
                "--keep", action="store_true", help="keep the temporary copy (its path is printed)"
            )
            sub.add_argument(
                "--verbose", action="store_true", help="show the build's output as it runs"
            )
    args = ap.parse_args(argv)
    try:
        root = _root(args.root)
        if args.command == "manifest":
            target, count = write_manifest(root)
            print(f"wrote {target}: {count} files")
            return 0
        if args.command == "compare":
            lines, status = compare_tree(root, read_manifest(root))
            print(*lines, sep="\n")
            return status
        return check(root, keep=args.keep, verbose=args.verbose)
    except VerifyError as exc:
        print(f"verify: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
