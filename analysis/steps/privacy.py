"""Step of ``rules/privacy.smk``: the gate that stops any identifier reaching an output."""

from __future__ import annotations

from pathlib import Path

from analysis.io import read_csv, write_json
from analysis.steps._common import Paths


def source_label(path: str, data_dir: str) -> str:
    """How a raw project is named in the record: an absolute path is the authors' private
    folder, so it is shown as ``<data_dir>/<relative path>``, never the folder itself."""
    if Path(path).is_absolute() and data_dir:
        return f"<data_dir>/{Path(path).relative_to(data_dir).as_posix()}"
    return path


def privacy_step(inp: Paths, out: Paths, data_dir: str = "") -> None:
    """Scan every text that can reach an output; stop the build on any hit.

    ``inp["names"]``, when given, is the authors' private list of participants' real names;
    it is read here and never written anywhere. ``qdpx_*`` inputs are the raw REFI-QDA
    projects: their whole transcripts, case names and values, and every description. Which
    columns of the clean tables are scanned is the privacy module's policy
    (:data:`analysis.privacy.SCANNED_COLUMNS`).
    """
    from analysis import privacy

    inp = dict(inp)
    names_file = inp.pop("names", "")
    names = privacy.load_name_list(names_file) if names_file else []
    columns = privacy.SCANNED_COLUMNS
    findings: list[privacy.Finding] = []
    scanned: dict[str, int] = {}
    for name, path in sorted(inp.items()):
        if name.startswith("qdpx_"):
            from analysis.qdpx import read_qdpx

            label = source_label(path, data_dir)
            items = privacy.project_texts(read_qdpx(path), label)
            findings += privacy.scan_texts(items, names=names)
            scanned[label] = len(items)
            continue
        kind = next(k for k in columns if name.endswith(k))
        df = read_csv(path)
        findings += privacy.scan_frame(df, list(columns[kind]), path, names=names)
        scanned[path] = int(len(df) * len(columns[kind]))
    record = privacy.summary_record(findings, scanned)
    privacy.check(findings)
    write_json(record, out["record"])
