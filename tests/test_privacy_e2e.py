"""End to end: an identifier in any input kind stops `make` before anything reads the data.

One failing build with a leak planted in every input kind at once (the gate reports all of
them together), on a copy of the session's complete build: each leak is named by file and
field with a masked value, and results/, logs/ and the staging folder's logs stay free of it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import edit_qdpx, run_build
from tests.test_identifiers import FNR

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e")]

PHONE = "4123 4567"
EMAIL = '"ola n"@helse-bergen.no'


def digests(folder: Path) -> dict[str, str]:
    """sha256 of every file below ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def copy_built(built: Path, dest: Path) -> Path:
    """A copy of the complete build (mtimes kept, so Snakemake sees it up to date)."""
    shutil.copytree(built, dest, symlinks=True)
    return dest


def _edit_csv(path: Path, column: str, value: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def test_a_leak_in_every_input_kind_stops_the_build(built: Path, tmp_path: Path) -> None:
    root = copy_built(built, tmp_path / "compendium")
    data = root / "data" / "synthetic"
    _edit_csv(data / "study1/extraction.csv", "article_id", f"A{FNR[:6]}\n{FNR[6:]}")
    _edit_csv(data / "study1/prisma.csv", "item", f"Asked {PHONE}")
    _edit_csv(data / "stage-map.csv", "subtheme", EMAIL)
    edit_qdpx(
        data / "study2/study2.qdpx",
        lambda q: re.sub(r'(<User [^>]*name=")coder A"', r'\g<1>ola@uib.no"', q, count=1),
    )
    results, logs = digests(root / "results"), digests(root / "logs")

    done = run_build(root)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    expected = [
        ("study1/extraction.csv", "column article_id", "fodselsnummer"),
        ("study1/prisma.csv", "column item", "phone"),
        ("stage-map.csv", "column subtheme", "email"),
        ("study2/study2.qdpx", "User 1f085684", "email"),
    ]
    for file, field, kind in expected:
        assert any(
            file in line and field in line and kind in line for line in output.splitlines()
        ), (file, field, output[-3000:])
    assert digests(root / "results") == results, "a failed build changed results/"
    assert digests(root / "logs") == logs, "a failed build changed logs/"
    staged_logs = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (root / ".build" / "logs").rglob("*.log")
    )
    for secret in (FNR[6:], "4567", "ola n", "ola@uib", "helse-bergen"):
        assert secret not in output, secret
        assert secret not in staged_logs, secret
