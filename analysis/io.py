"""File I/O at the edges: atomic, deterministic writes.

Every output of the DAG goes through these helpers so that a crash or a kill never leaves a
half-written file behind (the content is written to a temporary file in the same folder and
renamed into place) and so that two builds write the same bytes (UTF-8, LF line endings,
sorted keys).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:  # pandas loads on the first CSV read or write, not for every job
    import pandas as pd


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    The temporary file lives in the same directory so the final ``os.replace`` is atomic;
    on any exception it is removed and ``target`` keeps its previous content.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with tmp_path.open("rb") as done:
            os.fsync(done.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty folder beside ``target``; it replaces ``target`` on success.

    For outputs that are folders (staged documents, generated tables): a failure leaves the
    previous folder as it was and removes the half-filled one.
    """
    target = Path(target)
    tmp = target.with_name(f".{target.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_text(text: str, target: str | os.PathLike[str]) -> None:
    """Write UTF-8 text with LF line endings atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def write_bytes(data: bytes, target: str | os.PathLike[str]) -> None:
    """Write bytes atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_csv(df: pd.DataFrame, target: str | os.PathLike[str]) -> None:
    """Write a frame as UTF-8 CSV (no index, LF endings) atomically.

    The project's one CSV writer (:func:`analysis.csvwrite.write_csv`): it quotes a field
    holding a lone CR, which ``to_csv`` does not, and is otherwise byte-identical to it.
    """
    from analysis.csvwrite import write_csv as _write

    _write(df, target)


def read_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV written by :func:`write_csv`: strings stay strings, empty cells are ''."""
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def read_numbers_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a DAG-made table of counts and statistics: numeric columns come back as numbers.

    Only for tables the DAG wrote itself; inputs and id columns go through :func:`read_csv`,
    which never guesses a type.
    """
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, encoding="utf-8")


def write_json(obj: Any, target: str | os.PathLike[str]) -> None:
    """Write JSON with sorted keys and a trailing newline, atomically."""
    write_text(json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n", target)


def read_json(path: str | os.PathLike[str]) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_yaml(obj: Any, target: str | os.PathLike[str]) -> None:
    """Write YAML with sorted keys (stable across runs), atomically."""
    write_text(yaml.safe_dump(obj, sort_keys=True, allow_unicode=True), target)


def read_yaml(path: str | os.PathLike[str]) -> Any:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (documents can be several MB): the one
    checksum the provenance record and the verification manifest both use."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
