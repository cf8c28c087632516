"""Publishing and rolling back: keep ``results/`` and the staging folder in step.

``results/`` (and ``logs/``) are made equal to ``.build/results`` (``.build/logs``) after a
full, successful build (:func:`publish`): new or changed files are copied to a temporary
file beside the target, given the source's modification time and renamed into place
(``os.replace``, atomic); files and folders that no longer exist are deleted. A marker,
``.build/.publishing``, exists from just before the first copy to just after the last
deletion, so a publish that was killed is finished by the next build.

Stale results after a restore (issue #11): a failed attempt leaves outputs made from
inputs that may later be restored from a backup with their old modification time (``cp
-a``, ``rsync -a``, unzip); those outputs would be newer than the restored input and
Snakemake would trust them, publishing results computed from bytes that no longer exist.
Two defences: the snapshot of the sources stamps a source whose bytes changed no older
than now (:func:`_sync_file`), so input identity, not only its mtime, decides staleness
(this also covers a build killed outright, which cannot clean up after itself); and after
a *failed* Snakemake run the staging folder is rolled back to the published state
(:func:`rollback`): ``.build/results`` is made equal to ``results/`` again (same bytes and
modification times) and Snakemake's job metadata to the copy saved at the last publish,
which also covers a private ``data_dir`` that is read in place rather than snapshotted.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import time
from pathlib import Path

STAGE = ".build"
#: Folders Snakemake writes (in the staging folder) and the build publishes (at the root).
PUBLISHED = ("results", "logs")
MARKER = ".publishing"
#: Snakemake's job metadata (what made each output), and its copy at the last publish.
METADATA = Path(".snakemake") / "metadata"
PUBLISHED_METADATA = Path(".published") / "metadata"
KILL_HOOK = "ANALYSIS_BUILD_KILL_AFTER_PUBLISHING"


def _is_scratch(name: str) -> bool:
    """Temporary names of :mod:`analysis.io` (``.x.part``, ``.x.<random>.part``) and ours."""
    return name.startswith(".") and name.endswith(".part")


def _tree(folder: Path, ignore: frozenset[str] = frozenset()) -> tuple[set[Path], set[Path]]:
    """Relative paths of the files and folders below ``folder`` (scratch and ``ignore``
    names skipped)."""
    files: set[Path] = set()
    dirs: set[Path] = set()
    if not folder.is_dir():
        return files, dirs
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath).relative_to(folder)
        dirnames[:] = sorted(d for d in dirnames if not _is_scratch(d) and d not in ignore)
        dirs.update(base / d for d in dirnames)
        files.update(base / f for f in filenames if not _is_scratch(f) and f not in ignore)
    return files, dirs


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _same_bytes(a: Path, b: Path) -> bool:
    """Byte comparison (not :func:`filecmp.cmp`, whose cache trusts size and mtime)."""
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            block = fa.read(1 << 20)
            if block != fb.read(1 << 20):
                return False
            if not block:
                return True


def _sync_file(source: Path, target: Path, *, exact: bool = False) -> bool:
    """Make ``target`` a copy of ``source`` (bytes, mode, mtime); True if bytes were copied.

    Unchanged files are recognised by size and mtime (rsync's quick check), which is safe
    for Snakemake's outputs: every rewrite gives a new mtime. ``exact`` (for sources, which
    a user may restore with an old mtime) compares the bytes whenever the sizes agree, and
    only moves the copy's mtime forward (a ``touch``) when the bytes are the same, never
    back. A source whose bytes *changed*
    gets a copy stamped no older than now: a file restored from a backup (``cp -a``,
    ``rsync -a``, unzip keep its old mtime) must still be newer than every output made
    from the bytes it replaces, or Snakemake would trust those outputs (issue #11).
    """
    st = source.stat()
    try:
        tst = target.lstat()
    except FileNotFoundError:
        tst = None
    if tst is not None and stat.S_ISREG(tst.st_mode) and tst.st_size == st.st_size:
        same_time = tst.st_mtime_ns == st.st_mtime_ns
        if same_time and not exact:
            return False
        if exact and _same_bytes(source, target):
            if stat.S_IMODE(tst.st_mode) != stat.S_IMODE(st.st_mode):
                os.chmod(target, stat.S_IMODE(st.st_mode))
            if st.st_mtime_ns > tst.st_mtime_ns:  # touched: re-run what reads it
                os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
            return False
    if tst is not None and not stat.S_ISREG(tst.st_mode):
        _remove(target)
    mtime = st.st_mtime_ns
    if exact and tst is not None:
        mtime = max(mtime, time.time_ns())
    tmp = target.with_name(f".{target.name}.publish.part")
    shutil.copyfile(source, tmp)
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    os.utime(tmp, ns=(st.st_atime_ns, mtime))
    os.replace(tmp, target)
    return True


class _KillHook:
    """The documented test hook: SIGKILL this process after N copied files."""

    def __init__(self) -> None:
        value = os.environ.get(KILL_HOOK, "")
        self.left = int(value) if value.strip() else None

    def copied(self) -> None:
        if self.left is None:
            return
        self.left -= 1
        if self.left <= 0:
            os.kill(os.getpid(), signal.SIGKILL)


def mirror(
    src: Path,
    dst: Path,
    hook: _KillHook | None = None,
    *,
    exact: bool = False,
    ignore: frozenset[str] = frozenset(),
) -> int:
    """Make ``dst`` equal to ``src``: same files, bytes, modes and mtimes; nothing else.

    Idempotent and restartable: every file is replaced atomically (temporary file beside
    it, then ``os.replace``), unchanged files are skipped, and deletions come last, so
    running it again after an interruption finishes the job. Names in ``ignore`` are left
    alone on both sides. Returns the number of files copied.
    """
    files, dirs = _tree(src, ignore)
    if dst.is_symlink() or dst.exists() and not dst.is_dir():
        _remove(dst)
    dst.mkdir(parents=True, exist_ok=True)
    for rel in sorted(dirs, key=lambda p: len(p.parts)):
        target = dst / rel
        if target.is_symlink() or target.exists() and not target.is_dir():
            _remove(target)
        target.mkdir(exist_ok=True)
    copied = 0
    for rel in sorted(files):
        if _sync_file(src / rel, dst / rel, exact=exact):
            copied += 1
            if hook is not None:
                hook.copied()
    old_files, old_dirs = _tree(dst, ignore)
    for rel in sorted(old_files - files):
        _remove(dst / rel)
    for rel in sorted(old_dirs - dirs, key=lambda p: len(p.parts), reverse=True):
        _remove(dst / rel)
    # scratch files (ours or a killed writer's) are never part of a mirrored tree
    for dirpath, dirnames, filenames in os.walk(dst):
        for name in [*dirnames, *filenames]:
            if _is_scratch(name):
                _remove(Path(dirpath) / name)
        dirnames[:] = [d for d in dirnames if not _is_scratch(d) and d not in ignore]
    return copied


def publish(root: Path) -> int:
    """Publish ``.build/results`` and ``.build/logs`` to the root, under the marker, and keep
    Snakemake's metadata of this state for a later :func:`rollback`."""
    stage = root / STAGE
    marker = stage / MARKER
    marker.touch()
    hook = _KillHook()
    copied = sum(mirror(stage / name, root / name, hook) for name in PUBLISHED)
    mirror(stage / METADATA, stage / PUBLISHED_METADATA)
    marker.unlink()
    return copied


def rollback(root: Path) -> int:
    """Make ``.build/results`` (and Snakemake's metadata) the published state again.

    Only ``results``: the failed attempt's logs stay in ``.build/logs`` for the reader.
    Before any publish (no ``results/`` yet) the staged results are removed, so the next
    attempt computes everything again. Returns the number of files restored.
    """
    stage = root / STAGE
    published = root / "results"
    if published.is_dir():
        restored = mirror(published, stage / "results")
    else:
        _remove(stage / "results")
        restored = 0
    if (stage / PUBLISHED_METADATA).is_dir():
        mirror(stage / PUBLISHED_METADATA, stage / METADATA)
    else:
        _remove(stage / METADATA)
    return restored
