"""Coders reach outputs only under stable public labels (issue 11, "Pseudonymise coders").

A REFI-QDA User name (NVivo and ATLAS.ti often hold a full name there) or the segments
sheet's coder column must never reach results/: the clean step replaces it by ``Coder A``,
``Coder B``, ... (most codings first, ties by name), or by the label config names for it.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pandas as pd

from analysis import stc
from analysis.privacy import public_config
from analysis.steps.clean import clean_study_step
from analysis.steps.stats import reliability_step

REPO = Path(__file__).resolve().parents[1]
REAL = {"coder A": "Kari Nordmann", "coder B": "Ola Fjellheim"}


def _codings(counts: dict[str, int]) -> pd.DataFrame:
    rows = [
        {"unit_id": f"u{i}", "coder": coder, "theme": "t", "subtheme": "s", "code": "c"}
        for coder, n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_labels_follow_volume_then_name() -> None:
    codings = _codings({"zed": 3, "amy": 3, "bob": 5})
    assert stc.coder_labels(codings) == {"bob": "Coder A", "amy": "Coder B", "zed": "Coder C"}


def test_configured_labels_win_and_generated_ones_skip_them() -> None:
    codings = _codings({"zed": 3, "amy": 3, "bob": 5})
    labels = stc.coder_labels(codings, {"zed": "Coder A", "amy": "First author"})
    assert labels == {"bob": "Coder B", "amy": "First author", "zed": "Coder A"}


def test_many_coders_get_distinct_labels() -> None:
    labels = stc.coder_labels(_codings({f"c{i:02d}": 1 for i in range(30)}))
    assert len(set(labels.values())) == 30
    assert labels["c26"] == "Coder AA"


def test_public_config_keeps_labels_not_names() -> None:
    config = {"mode": "synthetic", "privacy": {"names_file": "", "coder_labels": REAL}}
    public = public_config(config)
    assert public["privacy"]["coder_labels"] == sorted(REAL.values())
    assert "coder A" not in str(public)


def _project_with_real_coder_names(tmp_path: Path) -> Path:
    path = tmp_path / "study2.qdpx"
    shutil.copy(REPO / "data/synthetic/study2/study2.qdpx", path)
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            if info.filename == "project.qde":
                text = data.decode("utf-8")
                for synthetic, real in REAL.items():
                    text = re.sub(f'(<User [^>]*name="){synthetic}"', rf'\g<1>{real}"', text)
                data = text.encode("utf-8")
            z.writestr(info, data)
    return path


def _outputs(folder: Path) -> dict[str, str]:
    names = ["participants", "codebook", "segments", "codings"]
    return {n: str(folder / f"{n}.csv") for n in names}


def test_real_coder_names_never_reach_the_clean_tables_or_reliability(tmp_path: Path) -> None:
    project = _project_with_real_coder_names(tmp_path)
    out = _outputs(tmp_path / "clean")
    (tmp_path / "clean").mkdir()
    clean_study_step({"qdpx": str(project)}, out)
    stats = {"summary": str(tmp_path / "rel.json"), "table": str(tmp_path / "rel.csv")}
    reliability_step({"codings": out["codings"], "codebook": out["codebook"]}, stats)
    written = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.rglob("*.*")
               if p.suffix in (".csv", ".json")}  # fmt: skip
    for name, text in written.items():
        for real in REAL.values():
            for part in real.split():
                assert part not in text, f"{part} in {name}"
    codings = pd.read_csv(out["codings"])
    assert set(codings["coder"]) == {"Coder A", "Coder B"}
    primary = codings["coder"].value_counts().idxmax()
    assert primary == "Coder A"
    assert set(pd.read_csv(out["segments"])["coder"]) == {"Coder A"}
    assert '"Coder A"' in written["rel.json"] and '"Coder B"' in written["rel.json"]


def test_configured_label_is_used(tmp_path: Path) -> None:
    project = _project_with_real_coder_names(tmp_path)
    out = _outputs(tmp_path)
    clean_study_step({"qdpx": str(project)}, out, coder_labels={"Kari Nordmann": "KN (author)"})
    assert set(pd.read_csv(out["codings"])["coder"]) == {"KN (author)", "Coder A"}


def test_csv_mode_coders_are_pseudonymised(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "participants.csv").write_text(
        "participant_id,label,role,group,session,service_level\n"
        "P1,Manager 1,manager,FG1,FG1,municipal\n",
        encoding="utf-8",
    )
    (src / "codebook.csv").write_text("theme,subtheme,code,description\nT,S,C,\n", "utf-8")
    (src / "segments.csv").write_text(
        "segment_id,participant_id,session,theme,subtheme,code,text,coder\n"
        "s1,P1,FG1,T,S,C,Some text.,Kari Nordmann\n",
        encoding="utf-8",
    )
    out = _outputs(tmp_path)
    clean_study_step({k: str(src / f"{k}.csv") for k in ("participants", "codebook",
                                                        "segments")}, out)  # fmt: skip
    for name in ("segments", "codings"):
        text = Path(out[name]).read_text(encoding="utf-8")
        assert "Kari" not in text and "Coder A" in text
